"""What every typed record (`campaign_core.stored_record.StoredRecord`: the drill's and the forms')
does at the store boundary, on both stores: what `to_item` writes reads back the same, with the
record's version and expiry; older items missing fields get defaults; fields the class does not
know survive a rewrite."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from campaign_core.drill_records import Drill, DrillCheck, DrillEvent, DrillMessage, DrillNotice
from campaign_core.form_records import DrillApplication, OneshotRequest, SeminarSignup
from campaign_core.records import APPLICATION, CHECK, DRILL, EVENT, MESSAGE, NOTICE, ONESHOT, SIGNUP
from campaign_core.store import Store
from campaign_core.stored_record import StoredRecord
from tests.support.records import AT, FULL


def _ids(record: StoredRecord) -> str:
    return type(record).__name__


def _default(f: dataclasses.Field[Any]) -> Any:
    return f.default_factory() if f.default is dataclasses.MISSING else f.default  # type: ignore[misc]


@pytest.mark.parametrize("record", FULL, ids=_ids)
def test_every_field_set_round_trips_through_the_item(record: StoredRecord) -> None:
    # No field is left at its default, so a field `to_item` forgot would come back different.
    defaults = [f.name for f in record.data_fields() if getattr(record, f.name) == _default(f)]
    assert defaults == (["due_at", "sent_at"] if isinstance(record, DrillMessage) else [])
    item = record.to_item()
    assert set(item) == type(record).field_names()
    assert type(record).from_item(record.key, item) == record


@pytest.mark.parametrize("record", FULL, ids=_ids)
def test_every_field_set_round_trips_through_the_store_with_its_expiry(
    store: Store, record: StoredRecord
) -> None:
    expires = AT + timedelta(days=1)
    assert store.put_new(record.KIND, record.key, record.to_item(), expires_at=expires)
    stored = store.get(record.KIND, record.key)
    assert stored is not None
    again = type(record).from_record(stored)
    assert again == dataclasses.replace(record, version=stored.version, expires_at=expires)
    assert again.version == stored.version == 1  # kept for the next `expect_version`
    assert again.to_record() == stored  # the expiry goes back with it


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
        # As the form first stores it: nothing of confirmation or sending yet.
        (
            OneshotRequest,
            ONESHOT,
            {"status": "pending", "email": "a@example.jp", "requested_at": "2026-12-01T01:30:00+00:00"},
        ),
        # A recorded session's signup by a member: no status, no seat, no offer.
        (
            SeminarSignup,
            SIGNUP,
            {
                "session_id": "recorded-basics",
                "email": "a@example.jp",
                "channel": "recorded",
                "member": "member",
            },
        ),
        # An application from before the reveal and follow-up choices, never confirmed.
        (
            DrillApplication,
            APPLICATION,
            {"status": "pending", "reveal_followup": True, "participants": [{"email": "a@example.jp"}]},
        ),
    ],
    ids=["message", "notice", "check", "drill", "event", "oneshot", "signup", "application"],
)
def test_an_older_item_missing_fields_reads_with_defaults(
    store: Store, cls: type[StoredRecord], kind: str, item: dict[str, Any]
) -> None:
    assert store.put_new(kind, "K-1", item)
    stored = store.get(kind, "K-1")
    assert stored is not None
    record = cls.from_record(stored)
    for f in record.data_fields():
        if f.name not in stored.data:  # not in the item, nor set by the store (`purge_at`)
            assert getattr(record, f.name) == _default(f), f.name
    assert record.extra == {}


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
