"""`forget`: remove or anonymise one person's data everywhere (the APPI request to delete).

- Seminar signups and one-shot requests of the address are deleted, with the one-shot sample mail
  and its tracking events.
- In a drill application, the officer's name and address are erased when they are the person's; a
  participant's address is erased and the participant can no longer be mailed.
- A drill mail (or reveal / follow-up mail) not yet sent to the address is deleted; a sent one
  keeps only what the company's report counts (sent, opened, clicked, reported, as anonymous rows):
  the address is erased and its tracking events are settled (client address and agent erased).
- The suppression list entry, and any other mention of the address in a record, are erased.
- Local outbox copies (`var/outbox/`) that mention the address are deleted.
- Last, the store is compacted: on SQLite the write-ahead log is checkpointed and truncated, and
  deleted content is overwritten (`secure_delete`), so no file under `var/` keeps the address.

The caller writes the audit line (counts only, never the address).
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from campaign_core.drill_records import DrillEvent, DrillMessage, DrillNotice
from campaign_core.form_records import DrillApplication, OneshotRequest, Participant, SeminarSignup
from campaign_core.records import (
    APPLICATION,
    EVENT,
    MESSAGE,
    NOTICE,
    ONESHOT,
    PERSONAL_KINDS,
    SIGNUP,
    SUPPRESSED,
    event_prefix,
)
from campaign_core.settings import MachineSettings
from campaign_core.store import Record, Store
from hq.retention import settle_events

FORGOTTEN = "forgotten"


@dataclass
class ForgetSummary:
    deleted: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    anonymised: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    outbox_files: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "deleted": dict(sorted(self.deleted.items())),
            "anonymised": dict(sorted(self.anonymised.items())),
            "outbox_files": self.outbox_files,
        }

    @property
    def found(self) -> bool:
        return bool(self.deleted or self.anonymised or self.outbox_files)


def email_hash(address: str) -> str:
    """The key fragment the forms derive from an address (`form_lambda.services.common.email_key`)."""
    return hashlib.sha256(address.lower().encode("utf-8")).hexdigest()[:40]


def mentions(value: Any, address: str) -> bool:
    """Whether any string inside `value` contains the address (case-insensitive)."""
    if isinstance(value, str):
        return address in value.lower()
    if isinstance(value, Mapping):
        return any(mentions(k, address) or mentions(v, address) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(mentions(v, address) for v in value)
    return False


def scrub(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return pattern.sub("", value)
    if isinstance(value, Mapping):
        return {pattern.sub("", str(k)): scrub(v, pattern) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v, pattern) for v in value]
    return value


def _same(value: Any, address: str) -> bool:
    return isinstance(value, str) and value.strip().lower() == address


def _delete(store: Store, record: Record | None, summary: ForgetSummary) -> None:
    if record is not None:
        store.delete(record.kind, record.key)
        summary.deleted[record.kind] += 1


def _forget_message(store: Store, message: Record, summary: ForgetSummary, machine: MachineSettings) -> None:
    events = store.with_prefix(EVENT, event_prefix(message.key))
    mail = DrillMessage.from_record(message)
    if mail.state != "sent" or mail.purpose == "oneshot":
        for event in events:
            _delete(store, event, summary)
        _delete(store, message, summary)
        return
    settle_events(store, [e for e in map(DrillEvent.from_record, events) if not e.settled], machine)
    summary.anonymised[EVENT] += len(events)
    store.update(MESSAGE, message.key, DrillMessage.changes(email="", forgotten=True))
    summary.anonymised[MESSAGE] += 1


def _forget_application(store: Store, record: Record, address: str, summary: ForgetSummary) -> None:
    application = DrillApplication.from_record(record)
    changes: dict[str, Any] = {}
    if _same(application.officer_email, address):
        changes |= DrillApplication.changes(officer_email="", officer_name="", officer_forgotten=True)
    participants = application.participants
    if any(_same(p.email, address) for p in participants):
        forgotten = Participant(email="", status=FORGOTTEN)
        kept = tuple(forgotten if _same(p.email, address) else p for p in participants)
        changes |= DrillApplication.changes(participants=kept)
    if changes:
        store.update(APPLICATION, application.key, changes)
        summary.anonymised[APPLICATION] += 1


def forget(
    store: Store,
    email: str,
    *,
    outbox_dir: Path | None = None,
    machine: MachineSettings | None = None,
) -> ForgetSummary:
    address = email.strip().lower()
    if "@" not in address:
        raise ValueError("not an e-mail address")
    summary = ForgetSummary()
    hashed = email_hash(address)

    for signup in store.query(SIGNUP):
        if _same(SeminarSignup.from_record(signup).email, address) or signup.key.endswith(f":{hashed}"):
            _delete(store, signup, summary)
    for request in store.query(ONESHOT):
        if _same(OneshotRequest.from_record(request).email, address) or request.key == hashed:
            message_key = f"oneshot-{request.key}"
            for event in store.with_prefix(EVENT, event_prefix(message_key)):
                _delete(store, event, summary)
            _delete(store, store.get(MESSAGE, message_key), summary)
            _delete(store, request, summary)
    for application in store.query(APPLICATION):
        _forget_application(store, application, address, summary)
    for message in store.query(MESSAGE):
        if _same(DrillMessage.from_record(message).email, address):
            _forget_message(store, message, summary, machine or MachineSettings())
    for notice in store.query(NOTICE):  # reveal and follow-up mails: none goes out any more
        mail = DrillNotice.from_record(notice)
        if _same(mail.email, address):
            if mail.state == "sent":
                store.update(NOTICE, notice.key, DrillNotice.changes(email="", forgotten=True))
                summary.anonymised[NOTICE] += 1
            else:
                _delete(store, notice, summary)
    _delete(store, store.get(SUPPRESSED, address), summary)

    # Anything left that still mentions the address (notes on a check sheet, an error text, ...).
    pattern = re.compile(re.escape(address), re.IGNORECASE)
    for kind in PERSONAL_KINDS:
        for record in store.query(kind):
            if address in record.key.lower():
                _delete(store, record, summary)
            elif mentions(record.data, address):
                cleaned = scrub(record.data, pattern)
                if set(cleaned) == set(record.data):
                    store.update(kind, record.key, cleaned)
                else:  # a field name held the address: write the record anew
                    store.delete(kind, record.key)
                    store.put_new(kind, record.key, cleaned, expires_at=record.expires_at)
                summary.anonymised[kind] += 1

    if outbox_dir is not None and outbox_dir.is_dir():
        for path in sorted(outbox_dir.glob("*.eml")):
            if mail_mentions(path.read_bytes(), address):
                path.unlink()
                summary.outbox_files += 1
    # What was deleted must not live on in the store's own files (SQLite's write-ahead log).
    store.compact()
    return summary


def mail_mentions(raw: bytes, address: str) -> bool:
    """The address in the raw bytes or in any decoded header or text part of the mail."""
    if address.encode("utf-8", "replace") in raw.lower():
        return True
    message = message_from_bytes(raw, policy=policy.default)
    texts = [str(value) for value in message.values()]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            try:
                texts.append(str(part.get_content()))
            except (LookupError, UnicodeError):
                continue
    return any(address in text.lower() for text in texts)
