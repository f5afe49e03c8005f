"""The mail-out port: compose a message from a template folder, hand it to a mailer.

Mailers: `OutboxMailer` (local default, one `.eml` per message), `SMTPMailer` (any relay),
`SESMailer` (Amazon SES, raw MIME); `create_mailer(settings)` picks one by `settings.mail_backend`.
A run of sends goes inside `with mailer.session():` (SMTP keeps one connection for it).
A failed send raises `TransientMailError` (retry later) or `PermanentMailError` (don't).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from email.message import EmailMessage
from typing import TYPE_CHECKING, Protocol

from campaign_core.mail.compose import check_header, compose, parse_address
from campaign_core.mail.errors import HeaderInjectionError, MailError, PermanentMailError, TransientMailError
from campaign_core.mail.outbox import OutboxMailer

if TYPE_CHECKING:
    from campaign_core.settings import Settings


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> str:
        """Send one complete MIME message; return an id for the record (Message-ID or provider id)."""
        ...

    def session(self) -> AbstractContextManager[object]:
        """A block whose sends share what the mailer holds open (SMTP: one connection; nested
        blocks share it); for the other mailers it does nothing."""
        ...


def create_mailer(settings: Settings) -> Mailer:
    """The adapter named by `settings.mail_backend` ("outbox" | "smtp" | "ses")."""
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
    "HeaderInjectionError",
    "MailError",
    "Mailer",
    "OutboxMailer",
    "PermanentMailError",
    "TransientMailError",
    "check_header",
    "compose",
    "create_mailer",
    "parse_address",
]
