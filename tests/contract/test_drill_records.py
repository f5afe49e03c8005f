"""The typed drill records (`campaign_core.drill_records`) at the store boundary: what `to_item`
writes, `from_record` reads back the same on both stores; older items missing fields get defaults;
fields the class does not know survive a rewrite."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from campaign_core.drill_checks import COMPLAINED, FORWARDED
from campaign_core.drill_records import Drill, DrillCheck, DrillEvent, DrillMessage, DrillNotice
from campaign_core.records import CHECK, DRILL, EVENT, MESSAGE, NOTICE, drill_due_at
from campaign_core.store import Record, Store
from campaign_core.store.sqlite import SQLiteStore
from campaign_core.stored_record import StoredRecord
from hq.forget import FORGOTTEN
from tests.support.forms import dynamodb_store

AT = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)

MESSAGE_FULL = DrillMessage(
    key="0123456789abcdef0123",
    application_id="A-1",
    purpose="drill",
    email="taro@example.co.jp",
    company="株式会社テスト",
    month=12,
    variant="subtle",
    template="2026-12-subtle",
    message_id="<drill.0123456789abcdef0123@drill.example.jp>",
    send_at=AT,
    state="failed",
    attempts=3,
    next_attempt_at=AT + timedelta(minutes=5),
    due_at=None,
    lease_until=AT + timedelta(minutes=10),
    claimed_by="runner-1",
    sent_at=None,
    provider_id="ses-1",
    last_error="550 no such user",
    failed_at=AT + timedelta(hours=1),
    requeued_at=AT + timedelta(hours=2),
    previous_error="550 mailbox full",
    forgotten=True,
)
NOTICE_FULL = DrillNotice(
    **{f.name: getattr(MESSAGE_FULL, f.name) for f in MESSAGE_FULL.data_fields()},
    key="reveal-0123456789abcdef0123",
    drill_message="0123456789abcdef0123",
)
CHECK_FULL = DrillCheck(
    key="0123456789abcdef0123",
    application_id="A-1",
    email="taro@example.co.jp",
    reported="yes",
    reported_at=AT + timedelta(minutes=20),
    action="reported_unopened",
    notes="電話で報告",
    updated_at=AT + timedelta(hours=3),
    forwarded_at=AT + timedelta(minutes=15),
    complained_at=AT + timedelta(minutes=16),
)
EVENT_FULL = DrillEvent(
    key="0123456789abcdef0123.20261201T013000000000.a1b2c3",
    message="0123456789abcdef0123",
    application_id="A-1",
    purpose="drill",
    type="click",
    link="login",
    at=AT,
    user_agent="settled bot",
    client="settled:0123456789abcdef0123.20261201T013000000000.a1b2c3",
    method="GET",
    prefetch=True,
    settled=True,
    machine_reasons=("agent", "too_fast"),
    purge_at=AT + timedelta(days=90),
)
DRILL_FULL = Drill(
    key="A-1",
    application_id="A-1",
    company="株式会社テスト",
    chamber={"code": "sapporo", "name": "札幌商工会議所"},
    template="2026-12-subtle",
    month=12,
    variant="subtle",
    window_start=AT,
    window_end=AT + timedelta(days=2),
    days=3,
    messages=("0123456789abcdef0123", "0123456789abcdef0124"),
    refused=("late@example.co.jp",),
    scheduled_at=AT - timedelta(days=1),
    report_state="sent",
    due_at=AT,
    followups_planned=True,
    report_claimed_at=AT + timedelta(days=5),
    report_error="451 try later",
    report_held_at=AT + timedelta(days=4),
    report_sent_at=AT + timedelta(days=6),
    report_sent_by="staff",
    counted={"drills": 1, "sent": 2, "reported": 1, "opened": 1, "clicked": 0, "minutes": {"12": 1}},
    membership_offered_at=AT + timedelta(days=6),
    purge_at=AT + timedelta(days=2),
)
FULL: tuple[StoredRecord, ...] = (MESSAGE_FULL, NOTICE_FULL, CHECK_FULL, EVENT_FULL, DRILL_FULL)


def _ids(record: StoredRecord) -> str:
    return type(record).__name__


def _default(f: dataclasses.Field[Any]) -> Any:
    return f.default_factory() if f.default is dataclasses.MISSING else f.default  # type: ignore[misc]


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        sqlite = SQLiteStore(tmp_path / "records.sqlite3")
        yield sqlite
        sqlite.close()
    else:
        yield dynamodb_store(request.getfixturevalue("moto"))


@pytest.mark.parametrize("record", FULL, ids=_ids)
def test_every_field_set_round_trips_through_the_item(record: StoredRecord) -> None:
    # No field is left at its default, so a field `to_item` forgot would come back different.
    defaults = [f.name for f in record.data_fields() if getattr(record, f.name) == f.default]
    assert defaults == (["due_at", "sent_at"] if isinstance(record, DrillMessage) else [])
    item = record.to_item()
    assert set(item) == type(record).field_names()
    assert type(record).from_item(record.key, item) == record


@pytest.mark.parametrize("record", FULL, ids=_ids)
def test_every_field_set_round_trips_through_the_store(store: Store, record: StoredRecord) -> None:
    assert store.put_new(record.KIND, record.key, record.to_item())
    stored = store.get(record.KIND, record.key)
    assert stored is not None
    again = type(record).from_record(stored)
    assert again == dataclasses.replace(record, version=stored.version)
    assert again.version == stored.version == 1  # kept for the next `expect_version`


def test_instants_are_stored_as_iso_utc_text() -> None:
    item = MESSAGE_FULL.to_item()
    assert item["send_at"] == "2026-12-01T01:30:00+00:00"
    assert item["due_at"] is None  # written as None: the sparse `due` index leaves it out
    assert DrillCheck.changes(reported_at=AT, notes="x") == {
        "reported_at": "2026-12-01T01:30:00+00:00",
        "notes": "x",
    }


@pytest.mark.parametrize(
    ("cls", "kind", "item"),
    [
        (
            DrillMessage,
            MESSAGE,
            {"email": "a@example.jp", "month": 11, "variant": "obvious", "state": "sent"},
        ),
        (DrillNotice, NOTICE, {"email": "a@example.jp", "purpose": "reveal", "state": "scheduled"}),
        (DrillCheck, CHECK, {"application_id": "A-1", "forwarded_at": "2026-12-01T10:30:00"}),
        # A drill scheduled before `followups_planned`, the report fields and `counted` existed.
        (
            Drill,
            DRILL,
            {"application_id": "A-1", "month": 11, "variant": "obvious", "report_state": "waiting"},
        ),
        # An event as recorded, before it was settled (`purge_at` as the store sets it from `at`).
        (
            DrillEvent,
            EVENT,
            {"message": "M-1", "at": "2026-12-01T10:30:00+00:00", "purge_at": "2026-12-01T10:30:00+00:00"},
        ),
    ],
    ids=["message", "notice", "check", "drill", "event"],
)
def test_an_older_item_missing_fields_reads_with_defaults(
    store: Store, cls: type[StoredRecord], kind: str, item: dict[str, Any]
) -> None:
    assert store.put_new(kind, "K-1", item)
    stored = store.get(kind, "K-1")
    assert stored is not None
    record = cls.from_record(stored)
    for f in record.data_fields():
        if f.name not in item:
            assert getattr(record, f.name) == _default(f), f.name
    assert record.extra == {}


def test_missing_message_fields_get_the_documented_defaults() -> None:
    message = DrillMessage.from_item("K-1", {"email": "a@example.jp"})
    assert (message.month, message.attempts, message.purpose, message.state) == (0, 0, "", "")
    assert message.sent_at is None and message.claimed_by is None and message.forgotten is False
    check = DrillCheck.from_item("K-1", {"forwarded_at": "2026-12-01T10:30:00"})
    assert check.forwarded_at == datetime(2026, 12, 1, 10, 30, tzinfo=UTC)  # naive: read as UTC
    assert (check.reported, check.notes, check.reported_at) == ("", "", None)


def test_none_in_a_text_field_reads_as_empty_text() -> None:
    check = DrillCheck.from_item("K-1", {"notes": None, "reported": None, "reported_at": None})
    assert (check.notes, check.reported, check.reported_at) == ("", "", None)


@pytest.mark.parametrize("record", FULL, ids=_ids)
def test_unknown_fields_are_kept_on_rewrite(store: Store, record: StoredRecord) -> None:
    later = {"added_by_a_later_version": {"nested": [1, "二"]}, "score": 7}
    assert store.put_new(record.KIND, record.key, {**record.to_item(), **later})
    stored = store.get(record.KIND, record.key)
    assert stored is not None
    read = type(record).from_record(stored)
    assert read.extra == later
    # Written back as a new item, nothing that was read is lost.
    store.delete(record.KIND, record.key)
    assert store.put_new(record.KIND, record.key, read.to_item())
    again = store.get(record.KIND, record.key)
    assert again is not None and again.data == stored.data


def test_sparse_fields_are_left_out_until_set() -> None:
    assert DrillCheck(key="K", application_id="A-1", email="a@example.jp", forwarded_at=AT).to_item() == {
        "application_id": "A-1",
        "email": "a@example.jp",
        "forwarded_at": "2026-12-01T01:30:00+00:00",
    }
    fresh = dataclasses.replace(
        MESSAGE_FULL, failed_at=None, requeued_at=None, previous_error=None, forgotten=False
    )
    assert not {"failed_at", "requeued_at", "previous_error", "forgotten"} & set(fresh.to_item())


def test_changes_name_only_fields_the_record_has() -> None:
    assert DrillMessage.changes(state="sending", lease_until=AT, claimed_by=None) == {
        "state": "sending",
        "lease_until": "2026-12-01T01:30:00+00:00",
        "claimed_by": None,
    }
    assert DrillNotice.changes(drill_message="M-1") == {"drill_message": "M-1"}
    with pytest.raises(TypeError, match="lease_untill"):
        DrillMessage.changes(lease_untill=AT)
    with pytest.raises(TypeError, match="drill_message"):
        DrillMessage.changes(drill_message="M-1")  # a notice's field, not a drill mail's
    with pytest.raises(TypeError, match="key"):
        DrillCheck.changes(key="other")  # the key is not a field of the item


def test_updated_is_the_record_after_an_update(store: Store) -> None:
    assert store.put_new(MESSAGE, MESSAGE_FULL.key, MESSAGE_FULL.to_item())
    stored = store.get(MESSAGE, MESSAGE_FULL.key)
    assert stored is not None
    read = DrillMessage.from_record(stored)
    changes = DrillMessage.changes(state="sending", attempts=4, lease_until=AT)
    assert store.update(MESSAGE, read.key, changes, expect_version=read.version)
    after = store.get(MESSAGE, read.key)
    assert after is not None
    assert read.updated(changes) == DrillMessage.from_record(after)
    assert not store.update(MESSAGE, read.key, changes, expect_version=read.version)  # stale version


def test_a_record_of_another_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="drill_notice"):
        DrillMessage.from_record(Record(NOTICE, "K", {}, 1, None))
    assert DrillMessage.from_record(MESSAGE_FULL.to_record()) == dataclasses.replace(MESSAGE_FULL, version=0)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, None),  # nothing filled in, nothing forwarded
        ({"reported": "yes", "reported_at": AT}, AT),
        ({"reported": "no"}, None),
        ({"forwarded_at": AT}, AT),  # the participant's forward, not yet seen by the officer
        ({"forwarded_at": AT, "complained_at": AT - timedelta(minutes=1)}, AT - timedelta(minutes=1)),
        # The officer saved the line after the forward: their word stands.
        ({"forwarded_at": AT, "reported": "no", "updated_at": AT + timedelta(hours=1)}, None),
        (
            {
                "forwarded_at": AT,
                "reported": "yes",
                "reported_at": AT + timedelta(minutes=9),
                "updated_at": AT,
            },
            AT + timedelta(minutes=9),
        ),
        # ... but a forward after the save still counts, the earlier time first.
        ({"forwarded_at": AT, "reported": "no", "updated_at": AT - timedelta(hours=1)}, AT),
    ],
)
def test_report_time_of_a_check_line(changes: dict[str, Any], expected: datetime | None) -> None:
    assert dataclasses.replace(DrillCheck(key="K"), **changes).report_time() == expected


def test_field_names_used_elsewhere_are_fields_of_the_records() -> None:
    # Names other modules write by constant: a rename in one place would break these.
    assert {FORWARDED, COMPLAINED} <= DrillCheck.field_names()
    assert FORGOTTEN in DrillMessage.field_names() and FORGOTTEN in DrillNotice.field_names()
    assert DrillMessage.field_names() < DrillNotice.field_names()  # a notice is a drill mail and more


def test_an_event_keeps_its_machine_reasons_as_a_list_and_leaves_purge_at_to_the_store(store: Store) -> None:
    item = EVENT_FULL.to_item()
    assert item["machine_reasons"] == ["agent", "too_fast"]  # JSON has no tuple
    fresh = DrillEvent(key="M-1.1.a", message="M-1", type="open", at=AT)
    assert not {"settled", "machine_reasons", "purge_at"} & set(fresh.to_item())
    # Left out, `purge_at` is set by the store from `at` (`store.with_period`): in the purge index.
    assert store.put_new(EVENT, fresh.key, fresh.to_item())
    stored = store.get(EVENT, fresh.key)
    assert stored is not None
    assert DrillEvent.from_record(stored).purge_at == AT
    assert DrillEvent.changes(machine_reasons=("agent",), purge_at=None) == {
        "machine_reasons": ["agent"],
        "purge_at": None,
    }


@pytest.mark.parametrize(
    ("changes", "due"),
    [
        ({}, AT),  # just scheduled: open from its window's start
        ({"followups_planned": True}, AT),  # the report still to go
        ({"followups_planned": True, "report_state": "sent"}, None),
        ({"followups_planned": True, "report_state": "held"}, None),
        ({"followups_planned": False, "report_state": "sent"}, AT),  # a late participant added
    ],
)
def test_a_drill_is_due_while_the_scheduler_has_work_on_it(
    changes: dict[str, Any], due: datetime | None
) -> None:
    drill = dataclasses.replace(Drill(key="A-1", window_start=AT, report_state="waiting"), **changes)
    assert drill.wanted_due_at() == due
    raw = drill_due_at(drill.to_item())  # the same rule as the store's migration applies
    assert (raw and datetime.fromisoformat(raw)) == (due or None)


def test_a_drill_without_its_window_says_so() -> None:
    assert DRILL_FULL.window() == (AT, AT + timedelta(days=2))
    with pytest.raises(KeyError, match="A-2"):
        Drill(key="A-2", window_start=AT).window()
