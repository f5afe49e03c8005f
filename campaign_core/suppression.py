"""The suppression list: addresses that bounced for good or complained are never mailed again.

SES reports bounces and complaints (configuration set -> SNS -> a Lambda, see `campaign_core.aws`);
`record_ses_event` turns one such notification into store records of kind "suppressed", keyed by the
lower-cased address. `is_suppressed` is the check; `SuppressingMailer` applies it to every message a
mailer would send, so a suppressed recipient fails permanently before any provider is called.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

from campaign_core.clock import Clock
from campaign_core.mail import Mailer, PermanentMailError
from campaign_core.records import SUPPRESSED
from campaign_core.store import Store


def address_key(email: str) -> str:
    return email.strip().lower()


def is_suppressed(store: Store, email: str) -> bool:
    return store.get(SUPPRESSED, address_key(email)) is not None


def suppress(store: Store, email: str, *, reason: str, detail: str, now: datetime) -> bool:
    """Put the address on the list (True), or note the repeat on the existing entry (False)."""
    key = address_key(email)
    at = now.astimezone(UTC).isoformat()
    data = {"email": key, "reason": reason, "detail": detail, "first_at": at, "last_at": at, "events": 1}
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


def _recipients(items: Iterable[Mapping[str, Any]]) -> list[str]:
    return [str(item["emailAddress"]) for item in items if item.get("emailAddress")]


def addresses_to_suppress(notification: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(address, reason, detail) for each recipient an SES bounce or complaint names.

    Both shapes are read: event publishing (`eventType`, from a configuration set) and identity
    notifications (`notificationType`). Only permanent bounces suppress: a full mailbox or a
    greylisting server (transient) may take mail again tomorrow."""
    kind = str(notification.get("eventType") or notification.get("notificationType") or "")
    if kind == "Bounce":
        bounce = notification.get("bounce", {})
        if bounce.get("bounceType") != "Permanent":
            return []
        detail = f"{bounce.get('bounceType')}/{bounce.get('bounceSubType', '')}"
        return [(a, "bounce", detail) for a in _recipients(bounce.get("bouncedRecipients", []))]
    if kind == "Complaint":
        complaint = notification.get("complaint", {})
        detail = str(complaint.get("complaintFeedbackType", "") or "complaint")
        return [(a, "complaint", detail) for a in _recipients(complaint.get("complainedRecipients", []))]
    return []


def record_sns_event(store: Store, clock: Clock, event: Mapping[str, Any]) -> list[str]:
    """Handle the event Lambda gets from SNS; returns the addresses newly suppressed."""
    added: list[str] = []
    for record in event.get("Records", []):
        message = json.loads(record["Sns"]["Message"])
        for email, reason, detail in addresses_to_suppress(message):
            if suppress(store, email, reason=reason, detail=detail, now=clock.now()):
                added.append(address_key(email))
    return added


class SuppressingMailer:
    """A mailer that refuses (permanently) any message to a suppressed address."""

    def __init__(self, inner: Mailer, store: Store) -> None:
        self.inner = inner
        self.store = store

    def send(self, message: EmailMessage) -> str:
        headers = [str(v) for name in ("To", "Cc", "Bcc") for v in message.get_all(name, [])]
        for _name, email in getaddresses(headers):
            if email and is_suppressed(self.store, email):
                raise PermanentMailError(f"suppressed: {address_key(email)} bounced or complained before")
        return self.inner.send(message)

    def session(self) -> AbstractContextManager[object]:
        return self.inner.session()
