"""The typed form records (`campaign_core.form_records`) at the store boundary, on both stores:
what `to_item` writes reads back the same, with the record's expiry; older items missing fields
get defaults; fields the class does not know survive a rewrite."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from campaign_core.form_records import OneshotRequest, SeminarSignup
from campaign_core.records import ONESHOT, SIGNUP, oneshot_due_at
from campaign_core.store import Store
from campaign_core.store.sqlite import SQLiteStore
from campaign_core.stored_record import StoredRecord
from tests.support.forms import dynamodb_store

AT = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)

ONESHOT_FULL = OneshotRequest(
    key="9f86d081884c7d659a2feaa0c55ad015",
    status="confirmed",
    email="sample@example.co.jp",
    company="株式会社サンプル",
    consent={"version": "2026-04", "at": "2026-12-01T01:30:00+00:00"},
    requested_at=AT,
    confirmed_at=AT + timedelta(minutes=5),
    send_status="sent",
    due_at=AT + timedelta(minutes=5),
    message_key="oneshot-9f86d081884c7d659a2feaa0c55ad015",
    sent_at=AT + timedelta(minutes=10),
    status_mailed=True,
    purge_at=AT,
)
SIGNUP_FULL = SeminarSignup(
    key="live-2026-12:9f86d081884c7d659a2feaa0c55ad015",
    session_id="live-2026-12",
    company="株式会社サンプル",
    name="山田 花子",
    email="hanako@example.co.jp",
    phone="03-1234-5678",
    prefecture="北海道",
    chamber={"code": "sapporo", "name": "札幌商工会議所"},
    member="non_member",
    consent={"version": "2026-11", "at": "2026-12-01T01:30:00+00:00"},
    signed_up_at=AT,
    channel="zoom",
    status="confirmed",
    confirmed_at=AT + timedelta(minutes=3),
    seat=12,
    membership_offered_at=AT,
    purge_at=AT,
)
FULL: tuple[StoredRecord, ...] = (ONESHOT_FULL, SIGNUP_FULL)


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
    assert [f.name for f in record.data_fields() if getattr(record, f.name) == _default(f)] == []
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
    assert again.to_record() == stored  # the expiry goes back with it


@pytest.mark.parametrize(
    ("cls", "kind", "item"),
    [
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
    ],
    ids=["oneshot", "signup"],
)
def test_an_older_item_missing_fields_reads_with_defaults(
    store: Store, cls: type[StoredRecord], kind: str, item: dict[str, Any]
) -> None:
    assert store.put_new(kind, "K-1", item)
    stored = store.get(kind, "K-1")
    assert stored is not None
    record = cls.from_record(stored)
    for f in record.data_fields():
        if f.name not in item and f.name != "purge_at":  # the store sets `purge_at` from the period's start
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
    store.delete(record.KIND, record.key)
    assert store.put_new(record.KIND, record.key, read.to_item())
    again = store.get(record.KIND, record.key)
    assert again is not None and again.data == stored.data


def test_a_new_request_leaves_out_what_comes_later() -> None:
    asked = OneshotRequest(key="K", status="pending", email="a@example.jp", requested_at=AT)
    assert set(asked.to_item()) == {"status", "email", "company", "consent", "requested_at"}


@pytest.mark.parametrize(
    ("changes", "due"),
    [
        ({}, None),  # pending
        ({"status": "confirmed", "send_status": "waiting", "confirmed_at": AT}, AT),
        ({"status": "confirmed", "send_status": "waiting"}, datetime(1970, 1, 1, tzinfo=UTC)),
        ({"status": "confirmed", "send_status": "queued", "confirmed_at": AT}, None),
        ({"status": "pending", "send_status": "waiting", "confirmed_at": AT}, None),
    ],
)
def test_a_request_is_due_from_its_confirmation_until_it_is_queued(
    changes: dict[str, Any], due: datetime | None
) -> None:
    request = dataclasses.replace(OneshotRequest(key="K", status="pending"), **changes)
    assert request.wanted_due_at() == due
    raw = oneshot_due_at(request.to_item())  # the same rule as the store's migration applies
    assert (raw and datetime.fromisoformat(raw)) == (due or None)


def test_a_seat_is_read_as_a_number_on_both_stores(store: Store) -> None:
    # DynamoDB gives numbers back as Decimal.
    assert store.put_new(SIGNUP, "K-1", {"seat": 3, "channel": "zoom"})
    stored = store.get(SIGNUP, "K-1")
    assert stored is not None
    seat = SeminarSignup.from_record(stored).seat
    assert seat == 3 and type(seat) is int
    assert SeminarSignup.from_item("K-2", {"seat": None, "channel": None}).seat is None
