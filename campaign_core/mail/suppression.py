"""The suppression list: addresses that bounced for good or complained are never mailed again.

Entries are store records of kind "suppressed", keyed by the lower-cased address; `suppress` adds
one (`campaign_core.ses_events` does, for SES's bounces and complaints). `is_suppressed` is the check;
`SuppressingMailer` applies it to every message a mailer would send, so a suppressed recipient fails
permanently before any provider is called. Only the reveal mail (marked with the `REVEAL_HEADER`)
still reaches a participant whose complaint was their report of a drill mail.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import getaddresses
from typing import TYPE_CHECKING, Any

# The module, not the package, which wraps every mailer in `SuppressingMailer`.
from campaign_core.mail.errors import PermanentMailError
from campaign_core.records import SUPPRESSED

if TYPE_CHECKING:
    from campaign_core.mail import Mailer
    from campaign_core.store import Store


def address_key(email: str) -> str:
    return email.strip().lower()


def is_suppressed(store: Store, email: str) -> bool:
    return store.get(SUPPRESSED, address_key(email)) is not None


REVEAL_HEADER = "X-Campaign-Notice"  # value "reveal" on the reveal mail of a drill


def suppress(
    store: Store, email: str, *, reason: str, detail: str, now: datetime, reveal_allowed: bool = False
) -> bool:
    """Put the address on the list (True), or note the repeat on the existing entry (False)."""
    key = address_key(email)
    at = now.astimezone(UTC).isoformat()
    data: dict[str, Any] = {
        "email": key, "reason": reason, "detail": detail, "first_at": at, "last_at": at, "events": 1,
    }  # fmt: skip
    if reveal_allowed:
        data["reveal_allowed"] = True
    if store.put_new(SUPPRESSED, key, data):
        return True
    current = store.get(SUPPRESSED, key)
    if current is not None:
        events = int(current.data.get("events", 1)) + 1
        store.update(
            SUPPRESSED,
            key,
            {"last_at": at, "events": events, "last_reason": reason, "last_detail": detail},
            expect_version=current.version,
        )
    return False


def suppressed_addresses(store: Store) -> list[dict[str, Any]]:
    """Every entry, for the staff command."""
    return [record.data for record in store.query(SUPPRESSED)]


class SuppressingMailer:
    """A mailer that refuses (permanently) any message to a suppressed address."""

    def __init__(self, inner: Mailer, store: Store) -> None:
        self.inner = inner
        self.store = store

    def send(self, message: EmailMessage) -> str:
        headers = [str(v) for name in ("To", "Cc", "Bcc") for v in message.get_all(name, [])]
        reveal = str(message.get(REVEAL_HEADER, "")) == "reveal"
        for _name, email in getaddresses(headers):
            entry = self.store.get(SUPPRESSED, address_key(email)) if email else None
            if entry is not None and not (reveal and entry.data.get("reveal_allowed")):
                raise PermanentMailError(f"suppressed: {address_key(email)} bounced or complained before")
        return self.inner.send(message)

    def session(self) -> AbstractContextManager[object]:
        return self.inner.session()
