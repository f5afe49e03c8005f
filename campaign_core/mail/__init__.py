"""The mail-out port: compose a message from a template folder, hand it to a mailer.

Mailers: `OutboxMailer` (local default, one `.eml` per message), `SMTPMailer` (any relay),
`SESMailer` (Amazon SES, raw MIME); `create_mailer(settings, store)` picks one by
`settings.mail_backend` and wraps it in the suppression list, for every path alike (the Lambdas, the
staff command, the local server).
A run of sends goes inside `with mailer.session():` (SMTP keeps one connection for it).
A failed send raises `TransientMailError` (this message, retry later), `PermanentMailError` (this
message, don't) or `AccountMailError` (no message can go now: stop the run, keep them scheduled).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from email.message import EmailMessage
from typing import TYPE_CHECKING, Protocol

from campaign_core.mail.compose import check_header, compose, parse_address
from campaign_core.mail.errors import (
    AccountMailError,
    HeaderInjectionError,
    MailError,
    PermanentMailError,
    TransientMailError,
)
from campaign_core.mail.outbox import OutboxMailer
from campaign_core.mail.suppression import SuppressingMailer

if TYPE_CHECKING:
    from campaign_core.settings import Settings
    from campaign_core.store import Store


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> str:
        """Send one complete MIME message; return an id for the record (Message-ID or provider id)."""
        ...

    def session(self) -> AbstractContextManager[object]:
        """A block whose sends share what the mailer holds open (SMTP: one connection; nested
        blocks share it); for the other mailers it does nothing."""
        ...


def create_mailer(settings: Settings, store: Store) -> Mailer:
    """The adapter named by `settings.mail_backend`, refusing addresses on the suppression list
    that `store` keeps (bounced for good or complained): the one factory every path builds with."""
    return SuppressingMailer(create_adapter(settings), store)


def create_adapter(settings: Settings) -> Mailer:
    """The bare adapter named by `settings.mail_backend` ("outbox" | "smtp" | "ses"), without the
    suppression list: for the mail contract tests only; services get `create_mailer`."""
    backend = settings.mail_backend
    if backend == "outbox":
        return OutboxMailer(settings.outbox_dir)
    if backend == "smtp":
        from campaign_core.mail.smtp import SMTPMailer

        return SMTPMailer.from_settings(settings.smtp)
    if backend == "ses":
        from campaign_core.mail.ses import SESMailer

        return SESMailer.from_settings(settings.aws)
    raise ValueError(f"unknown mail backend {backend!r} (expected 'outbox', 'smtp' or 'ses')")


__all__ = [
    "AccountMailError",
    "HeaderInjectionError",
    "MailError",
    "Mailer",
    "OutboxMailer",
    "PermanentMailError",
    "TransientMailError",
    "check_header",
    "compose",
    "create_adapter",
    "create_mailer",
    "parse_address",
]
