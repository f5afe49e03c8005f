"""Typed records of the forms (issue 9 §3): a one-shot sample request, as a frozen dataclass at
the store boundary, on the base of the drill's (`campaign_core.drill_records`).

A form record is stored pending, with an expiry, until its address confirms it by the mailed link
(`form_lambda/services/links.py`); `expires_at` is the store's, kept beside the item's fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from campaign_core.clock import parse_iso
from campaign_core.drill_records import StoredRecord
from campaign_core.records import ONESHOT, oneshot_due_at


@dataclass(frozen=True, kw_only=True)
class OneshotRequest(StoredRecord):
    """A one-shot sample request, keyed by the address's hash (`form_lambda/services/oneshot.py`);
    once confirmed, the drill sender queues its sample mail (`services/oneshot_queue.py`) and keeps
    its send status in step (`services/send.py`, `services/requeue.py`) for the status page
    (`services/oneshot_status.py`)."""

    KIND: ClassVar[str] = ONESHOT
    #: Written after the request: by its confirmation, by the sender, or by the store (`purge_at`).
    SPARSE: ClassVar[frozenset[str]] = frozenset(
        {"confirmed_at", "send_status", "due_at", "message_key", "sent_at", "status_mailed", "purge_at"}
    )

    status: str = ""  # "pending" -> "confirmed"
    email: str = ""
    company: str = ""
    consent: dict[str, Any] = field(default_factory=dict)  # {"version": ..., "at": ISO time}
    requested_at: datetime | None = None
    confirmed_at: datetime | None = None
    send_status: str = ""  # "waiting" -> "queued" -> "sent" | "failed"
    due_at: datetime | None = None  # the store's sparse `due` index: set while it waits to be queued
    message_key: str = ""  # the sample mail, once queued
    sent_at: datetime | None = None
    status_mailed: bool = False  # the link to the status page went out
    purge_at: datetime | None = None  # the store's `purge` index

    def wanted_due_at(self) -> datetime | None:
        """When the request should be in the `due` index (None: not at all): from its confirmation
        until it is queued. The rule is `records.oneshot_due_at`, which the store's migration also
        applies to raw items."""
        due = oneshot_due_at(self.to_item())
        return parse_iso(due) if due else None
