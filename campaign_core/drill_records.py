"""Typed records of a drill (issue 9 §3): the drill itself, a drill (or one-shot) mail, a reveal or
follow-up notice, an open or click of it, and the officer's check sheet line, as frozen dataclasses
at the store boundary (on `campaign_core.stored_record.StoredRecord`, which says how items are
read and written)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from campaign_core.clock import parse_iso
from campaign_core.records import CHECK, DRILL, EVENT, MESSAGE, NOTICE, drill_due_at
from campaign_core.store import Record
from campaign_core.stored_record import StoredRecord


@dataclass(frozen=True, kw_only=True)
class Drill(StoredRecord):
    """The scheduled drill of one application, keyed by the application id: written by
    `drill_sender.services.schedule` (and `schedule_late`), then moved on by the scheduler through
    `services/drill_state.py:change_drill` (follow-ups planned, the report's state) and counted in
    the fiscal year's figures once its window closed (`services/campaign_average.py`)."""

    KIND: ClassVar[str] = DRILL
    #: Written after scheduling, or by the store (`purge_at`).
    SPARSE: ClassVar[frozenset[str]] = frozenset(
        {
            "followups_planned",
            "report_claimed_at",
            "report_error",
            "report_held_at",
            "report_sent_at",
            "report_sent_by",
            "counted",
            "membership_offered_at",
            "purge_at",
        }
    )

    application_id: str = ""
    company: str = ""
    chamber: dict[str, Any] = field(default_factory=dict)  # the application's {"code", "name"}
    template: str = ""
    month: int = 0
    variant: str = ""
    window_start: datetime | None = None
    window_end: datetime | None = None
    days: int = 0  # business days of the send window
    messages: tuple[str, ...] = ()  # the keys of its drill mails
    refused: tuple[str, ...] = ()  # participants not (yet) confirmed when it was scheduled
    scheduled_at: datetime | None = None
    report_state: str = ""  # `drill_state`: waiting -> sending -> sent | held
    due_at: datetime | None = None  # the store's sparse `due` index: set while the drill is open
    followups_planned: bool = False
    report_claimed_at: datetime | None = None
    report_error: str = ""
    report_held_at: datetime | None = None
    report_sent_at: datetime | None = None
    report_sent_by: str = ""  # "scheduler" | "staff"
    counted: dict[str, Any] | None = None  # what it added to the campaign's figures, once counted
    membership_offered_at: datetime | None = None  # the report mail carried the membership offer
    purge_at: datetime | None = None  # the store's `purge` index

    def window(self) -> tuple[datetime, datetime]:
        """The send window's start and end; every drill is scheduled with one (`schedule`)."""
        if self.window_start is None or self.window_end is None:
            raise KeyError(f"drill {self.key} has no send window")
        return self.window_start, self.window_end

    def wanted_due_at(self) -> datetime | None:
        """When the drill should be in the `due` index (None: closed): the rule is
        `records.drill_due_at`, which the store's migration also applies to raw items."""
        due = drill_due_at(self.to_item())
        return parse_iso(due) if due else None


@dataclass(frozen=True, kw_only=True)
class DrillMessage(StoredRecord):
    """One drill mail (`purpose` "drill") or one-shot sample (`purpose` "oneshot", no application)
    to one address; written by `drill_sender.services.schedule.new_message`, then claimed, sent,
    failed or requeued by the sender (`services/send.py`, `services/requeue.py`)."""

    KIND: ClassVar[str] = MESSAGE
    SPARSE: ClassVar[frozenset[str]] = frozenset({"failed_at", "requeued_at", "previous_error", "forgotten"})

    application_id: str = ""  # "" for a one-shot sample
    purpose: str = ""  # "drill" | "oneshot" (notices: "reveal" | "followup")
    email: str = ""  # "" once forgotten (`hq/forget.py`)
    company: str = ""
    month: int = 0
    variant: str = ""
    template: str = ""
    message_id: str = ""  # the Message-ID header it is sent with, fixed when scheduled
    send_at: datetime | None = None
    state: str = ""  # scheduled -> sending -> sent | failed
    attempts: int = 0
    next_attempt_at: datetime | None = None
    due_at: datetime | None = None  # the store's sparse `due` index: set while work is left
    lease_until: datetime | None = None
    claimed_by: str | None = None
    sent_at: datetime | None = None
    provider_id: str | None = None
    last_error: str | None = None
    failed_at: datetime | None = None
    requeued_at: datetime | None = None
    previous_error: str | None = None
    forgotten: bool = False  # the address was erased on request; the counts stay


@dataclass(frozen=True, kw_only=True)
class DrillNotice(DrillMessage):
    """A reveal or follow-up mail after the drill, keyed `<purpose>-<drill message key>`; sent by
    the same engine as drill mail (`services/followups.py`)."""

    KIND: ClassVar[str] = NOTICE

    drill_message: str = ""  # the key of the drill mail it follows


@dataclass(frozen=True, kw_only=True)
class DrillCheck(StoredRecord):
    """The officer's check sheet line for one drill mail, keyed by the message key
    (`services/checksheet.py`), and the reports the participant made by themselves
    (`campaign_core.drill_checks`: forwarded to the report address, or marked as junk)."""

    KIND: ClassVar[str] = CHECK
    SPARSE: ClassVar[frozenset[str]] = frozenset(
        {"reported", "reported_at", "action", "notes", "updated_at", "forwarded_at", "complained_at"}
    )

    application_id: str = ""
    email: str = ""
    reported: str = ""  # "yes" | "no" | "" (not filled in yet)
    reported_at: datetime | None = None  # when the officer heard of it
    action: str = ""  # one of `checksheet.ACTIONS`
    notes: str = ""
    updated_at: datetime | None = None  # the officer last saved the line
    forwarded_at: datetime | None = None  # the participant forwarded the mail to the report address
    complained_at: datetime | None = None  # ... or marked it as spam / junk

    def report_time(self) -> datetime | None:
        """The report time: the officer's, and a forward or junk complaint the participant made by
        themselves unless the officer saved the line after it (then the officer's word stands)."""
        saved, updated = self.reported, self.updated_at
        times = [
            at
            for at in (self.forwarded_at, self.complained_at)
            if at is not None and (not saved or updated is None or at > updated)
        ]
        if saved == "yes" and self.reported_at is not None:
            times.append(self.reported_at)
        return min(times) if times else None


@dataclass(frozen=True, kw_only=True)
class DrillEvent(StoredRecord):
    """One open or click of a sent drill (or one-shot) mail, keyed `<message key>.<time>.<random>`
    (`records.event_prefix`); written by `drill_sender.services.tracking.record_hit`, settled by
    the purge (`hq/retention.py:settle_events`): its client and agent erased, the machine decision kept."""

    KIND: ClassVar[str] = EVENT
    #: `purge_at` stays out of a new item, so the store sets it from `at` (`store.with_period`).
    SPARSE: ClassVar[frozenset[str]] = frozenset({"settled", "machine_reasons", "purge_at"})

    message: str = ""  # the key of the mail it was a hit on
    application_id: str = ""  # "" for a one-shot sample
    purpose: str = ""  # the mail's: "drill" | "oneshot"
    type: str = ""  # "open" | "click"
    link: str | None = None  # the clicked link's name (None for an open)
    at: datetime | None = None
    user_agent: str = ""
    client: str = ""  # the client address
    method: str = ""
    prefetch: bool = False  # a HEAD, or a request that said it was a prefetch or preview
    settled: bool = False
    machine_reasons: tuple[str, ...] = ()  # set when settled (`campaign_core.machine.classify`)
    purge_at: datetime | None = None  # the store's `purge` index


def read_mail(record: Record) -> DrillMessage:
    """A stored drill mail or notice as its class (`DrillNotice` for NOTICE), for code that sends
    both (`drill_sender/services/send.py`); any other kind raises."""
    return (DrillNotice if record.kind == NOTICE else DrillMessage).from_record(record)
