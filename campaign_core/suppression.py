"""The suppression list: addresses that bounced for good or complained are never mailed again.

SES reports bounces and complaints (configuration set -> SNS -> a Lambda, see `campaign_core.aws`);
`record_ses_event` turns one such notification into store records of kind "suppressed", keyed by the
lower-cased address. `is_suppressed` is the check; `SuppressingMailer` applies it to every message a
mailer would send, so a suppressed recipient fails permanently before any provider is called.

A complaint about a drill mail is the participant doing the right thing (marking it as junk is
reporting it as suspicious): it is also noted on their check sheet line, and the reveal mail (marked
with the `REVEAL_HEADER`) still reaches them, so they learn it was a drill. Nothing else does.
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
from campaign_core.drill_checks import COMPLAINED, complaint_message_key, note_report
from campaign_core.mail import Mailer, PermanentMailError
from campaign_core.records import SUPPRESSED
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
        drill_report = _note_drill_complaint(store, clock, message)
        for email, reason, detail in addresses_to_suppress(message):
            if suppress(
                store, email, reason=reason, detail=detail, now=clock.now(), reveal_allowed=drill_report
            ):
                added.append(address_key(email))
    return added


def _note_drill_complaint(store: Store, clock: Clock, notification: Mapping[str, Any]) -> bool:
    """A complaint about a drill mail, noted as that participant's report (True when it was one)."""
    kind = str(notification.get("eventType") or notification.get("notificationType") or "")
    key = complaint_message_key(notification) if kind == "Complaint" else None
    if key is None:
        return False
    # The time the feedback reached us, as for a forward (the provider's own stamp runs on its clock).
    return note_report(store, key, COMPLAINED, clock.now())


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
