"""The typed drill records (`campaign_core.drill_records`): how each kind's own fields are written,
updated and read (what every record class shares is in `test_stored_records.py`)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from campaign_core.drill_checks import COMPLAINED, FORWARDED
from campaign_core.drill_records import Drill, DrillCheck, DrillEvent, DrillMessage, DrillNotice
from campaign_core.records import EVENT, MESSAGE, NOTICE, drill_due_at
from campaign_core.store import Record, Store
from hq.forget import FORGOTTEN
from tests.support.records import AT, DRILL_FULL, EVENT_FULL, MESSAGE_FULL


def test_instants_are_stored_as_iso_utc_text() -> None:
    item = MESSAGE_FULL.to_item()
    assert item["send_at"] == "2026-12-01T01:30:00+00:00"
    assert item["due_at"] is None  # written as None: the sparse `due` index leaves it out
    assert DrillCheck.changes(reported_at=AT, notes="x") == {
        "reported_at": "2026-12-01T01:30:00+00:00",
        "notes": "x",
    }


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
