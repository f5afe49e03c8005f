"""Typed records of the forms (issue 9 §3): a drill application, a seminar signup and a one-shot
sample request, as frozen dataclasses at the store boundary, on the base of the drill's
(`campaign_core.drill_records`).

A form record is stored pending, with an expiry, until its address confirms it by the mailed link
(`form_lambda/services/links.py`); `expires_at` is the store's, kept beside the item's fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from campaign_core.clock import parse_iso
from campaign_core.records import APPLICATION, ONESHOT, SIGNUP, mailable_participants, oneshot_due_at
from campaign_core.stored_record import Nested, StoredRecord


@dataclass(frozen=True, kw_only=True)
class Participant(Nested):
    """One participant of a drill application, as the officer listed them."""

    SPARSE: ClassVar[frozenset[str]] = frozenset({"confirmed_at"})

    email: str = ""  # "" once forgotten
    status: str = ""  # `records.TRUSTED` | `records.WAITING` -> `records.CONFIRMED`; "forgotten"
    confirmed_at: datetime | None = None  # by their own link


@dataclass(frozen=True, kw_only=True)
class DrillApplication(StoredRecord):
    """A drill application of one office, keyed by a random id (`form_lambda/services/drill.py`):
    stored pending with its office claims, accepted once the officer confirms, then scheduled by
    staff (`drill_sender/services/schedule.py`); HQ forgets and purges it (`hq/`)."""

    KIND: ClassVar[str] = APPLICATION
    #: Written later (acceptance, scheduling, forget, the store's `purge_at`), or by older forms.
    SPARSE: ClassVar[frozenset[str]] = frozenset(
        {"reveal", "followup", "reveal_followup", "accepted_at", "seminar_by", "membership_offered_at",
         "mail_error", "drill_status", "drill_scheduled_at", "officer_forgotten", "purge_at"}
    )  # fmt: skip

    status: str = ""  # "pending" -> "accepted"
    applied_at: datetime | None = None
    confirm_by: datetime | None = None  # the officer's link expires
    consent: dict[str, Any] = field(default_factory=dict)  # {"version": ..., "at": ISO time}
    company: str = ""
    office: str = ""
    corporate_number: str = ""
    postal_code: str = ""
    prefecture: str = ""
    office_keys: tuple[str, ...] = ()  # the office claims it holds
    address: str = ""
    phone: str = ""
    industry: str = ""  # `campaign_core.choices.INDUSTRIES`
    employees: str = ""  # `campaign_core.choices.EMPLOYEES`
    chamber: dict[str, Any] = field(default_factory=dict)  # {"code": ..., "name": ...}
    member: str = ""  # `campaign_core.choices.MEMBER`
    officer_name: str = ""
    officer_email: str = ""
    participants: tuple[Participant, ...] = ()
    variant: str = ""  # obvious / subtle / auto (おまかせ); "": from before the choice
    reveal: bool | None = None  # the reveal mail; None: from before the two choices
    followup: bool | None = None  # the follow-up mail; None: from before the two choices
    reveal_followup: bool = False  # before the two choices: one box for both
    accepted_at: datetime | None = None
    seminar_by: str = ""  # the JST day (ISO date) staff watch the seminar by; "" before acceptance
    membership_offered_at: datetime | None = None  # the acceptance mail carried the offer
    mail_error: str = ""  # the acceptance mails failed (staff resend)
    drill_status: str = ""  # "scheduled" once staff scheduled it
    drill_scheduled_at: datetime | None = None
    officer_forgotten: bool = False  # `campaign forget` erased the officer
    purge_at: datetime | None = None  # the store's `purge` index

    def mailable(self) -> list[str]:
        """The addresses drill mail may go to; the rule is `records.mailable_participants`, which
        the dict form (older callers, raw items) applies too."""
        return mailable_participants(self.to_item())


@dataclass(frozen=True, kw_only=True)
class SeminarSignup(StoredRecord):
    """One address's signup for one seminar session, keyed `<session id>:<address hash>`
    (`form_lambda/services/seminar.py`). A recorded session's signup is stored done, with no status;
    a live one is stored pending and takes a Zoom seat (or not) once its address confirms."""

    KIND: ClassVar[str] = SIGNUP
    #: Written only for some signups (a live one, a non-member), or later, or by the store.
    SPARSE: ClassVar[frozenset[str]] = frozenset(
        {"status", "confirmed_at", "seat", "membership_offered_at", "purge_at"}
    )

    session_id: str = ""
    company: str = ""
    name: str = ""
    email: str = ""
    phone: str = ""
    prefecture: str = ""
    chamber: dict[str, Any] = field(default_factory=dict)  # {"code": ..., "name": ...}
    member: str = ""  # `campaign_core.choices.MEMBER`
    consent: dict[str, Any] = field(default_factory=dict)  # {"version": ..., "at": ISO time}
    signed_up_at: datetime | None = None
    channel: str | None = None  # "recorded" | "zoom" | "youtube"; None while a live one is pending
    status: str = ""  # a live session's: "pending" -> "confirmed" ("": recorded, nothing to confirm)
    confirmed_at: datetime | None = None
    seat: int | None = None  # the Zoom seat taken (`SEATS` counter), None past the capacity
    membership_offered_at: datetime | None = None  # the reply carried the membership offer
    purge_at: datetime | None = None  # the store's `purge` index


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
