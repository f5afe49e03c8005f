"""The store port's contract, run against both adapters: SQLite on a temporary file, and DynamoDB
through a real moto server process (a fresh table per test)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from campaign_core.settings import PROJECT_ROOT, Settings
from campaign_core.store import ConditionFailed, Delete, Put, Store, Update, create_store
from campaign_core.store.dynamodb import DynamoDBStore
from campaign_core.store.sqlite import SQLiteStore
from tests.support import scratch_settings
from tests.support.servers import MotoServer

T = TypeVar("T")
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def _settings(tmp_path: Path, backend: str, extra: dict[str, str]) -> Settings:
    return scratch_settings(tmp_path, "contract-test", CAMPAIGN_STORE=backend, **extra)


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        sqlite_store = create_store(_settings(tmp_path, "sqlite", {}))
        assert isinstance(sqlite_store, SQLiteStore)
        assert sqlite_store.path == tmp_path / "var" / "campaign.sqlite3"
        yield sqlite_store
        sqlite_store.close()
        return
    moto: MotoServer = request.getfixturevalue("moto_server")
    table = f"campaign-{uuid.uuid4().hex[:12]}"
    extra = {"CAMPAIGN_DYNAMODB_TABLE": table, "CAMPAIGN_AWS_ENDPOINT_URL": moto.endpoint}
    dynamo_store = create_store(_settings(tmp_path, "dynamodb", extra))
    assert isinstance(dynamo_store, DynamoDBStore)
    dynamo_store.create_table()
    yield dynamo_store
    dynamo_store.client.delete_table(TableName=table)


def in_parallel(count: int, work: Callable[[int], T]) -> list[T]:
    """Run `work(i)` on `count` threads released at the same instant."""
    barrier = threading.Barrier(count)

    def run(i: int) -> T:
        barrier.wait()
        return work(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


DATA: dict[str, Any] = {
    "company": "株式会社テスト商事",
    "employees": 12,
    "ratio": 0.25,
    "member": True,
    "office": None,
    "participants": ["a@example.jp", "b@example.jp"],
    "address": {"postal_code": "1000001", "prefecture": "東京都"},
    "created_at": "2026-11-27T10:00:00+00:00",
}


def test_put_new_writes_once_and_get_round_trips(store: Store) -> None:
    assert store.get("application", "A-1") is None
    assert store.put_new("application", "A-1", DATA) is True
    assert store.put_new("application", "A-1", {"company": "二番目"}) is False
    record = store.get("application", "A-1")
    assert record is not None
    assert (record.kind, record.key, record.version, record.expires_at) == ("application", "A-1", 1, None)
    assert record.data == DATA
    assert isinstance(record.data["employees"], int)
    assert isinstance(record.data["ratio"], float)
    assert store.get("office_claim", "A-1") is None  # kinds are separate namespaces


def test_expires_at_round_trips_exactly(store: Store) -> None:
    expires = NOW + timedelta(hours=48, microseconds=123456)
    assert store.put_new("office_claim", "k", {"n": 1}, expires_at=expires)
    record = store.get("office_claim", "k")
    assert record is not None
    assert record.expires_at == expires


def test_replace_expired_before_frees_an_expired_record(store: Store) -> None:
    expires = NOW + timedelta(minutes=10)
    assert store.put_new("office_claim", "office-1", {"owner": "first"}, expires_at=expires)
    # Without the option an expired record still blocks; before its expiry it blocks too.
    assert not store.put_new("office_claim", "office-1", {"owner": "x"})
    assert not store.put_new(
        "office_claim", "office-1", {"owner": "x"}, replace_expired_before=expires - timedelta(seconds=1)
    )
    assert store.put_new(
        "office_claim", "office-1", {"other": "second"}, replace_expired_before=expires + timedelta(seconds=1)
    )
    record = store.get("office_claim", "office-1")
    assert record is not None
    assert record.data == {"other": "second"}  # a replacement, not a merge
    assert record.expires_at is None
    assert record.version == 2  # versions stay monotonic, so stale expect_version writes fail


def test_replace_expired_before_never_replaces_a_record_without_expiry(store: Store) -> None:
    assert store.put_new("office_claim", "office-2", {"owner": "confirmed"})
    assert not store.put_new("office_claim", "office-2", {"owner": "x"}, replace_expired_before=NOW)


def test_update_merges_bumps_version_and_checks_expect_version(store: Store) -> None:
    expires = NOW + timedelta(days=2)
    assert store.put_new("application", "A-2", {"status": "pending", "company": "甲"}, expires_at=expires)
    assert store.update("application", "A-2", {"status": "confirmed", "note": "確認済み"}, expect_version=1)
    record = store.get("application", "A-2")
    assert record is not None
    assert record.data == {"status": "confirmed", "company": "甲", "note": "確認済み"}
    assert record.version == 2
    assert record.expires_at == expires  # update keeps expiry
    # A writer still holding version 1 loses.
    assert not store.update("application", "A-2", {"status": "cancelled"}, expect_version=1)
    assert store.update("application", "A-2", {"status": "sent"})  # no version check
    record = store.get("application", "A-2")
    assert record is not None
    assert record.data["status"] == "sent"
    assert record.version == 3
    assert not store.update("application", "missing", {"status": "x"})
    assert store.get("application", "missing") is None


def test_update_op_sets_or_clears_expiry(store: Store) -> None:
    assert store.put_new("application", "A-3", {"s": 1}, expires_at=NOW)
    store.transact([Update("application", "A-3", {"s": 2}, expires_at=None)])
    record = store.get("application", "A-3")
    assert record is not None
    assert (record.data, record.expires_at, record.version) == ({"s": 2}, None, 2)
    later = NOW + timedelta(days=30)
    store.transact([Update("application", "A-3", {}, expect_version=2, expires_at=later)])
    record = store.get("application", "A-3")
    assert record is not None
    assert (record.expires_at, record.version) == (later, 3)


def test_transact_is_all_or_nothing(store: Store) -> None:
    assert store.put_new("application", "A-4", {"status": "pending"})
    assert store.put_new("office_claim", "taken", {"by": "other"})
    before = store.get("application", "A-4")

    failing: list[list[Put | Update | Delete]] = [
        # Second op's version is stale.
        [Put("office_claim", "new", {"by": "A-4"}), Update("application", "A-4", {"s": 1}, expect_version=9)],
        # First op's key is taken.
        [Put("office_claim", "taken", {"by": "A-4"}), Update("application", "A-4", {"status": "confirmed"})],
        # Deleting with a version that is not there.
        [Put("office_claim", "new", {"by": "A-4"}), Delete("office_claim", "taken", expect_version=5)],
        # Updating a record that does not exist.
        [Put("office_claim", "new", {"by": "A-4"}), Update("application", "nobody", {"x": 1})],
    ]
    for ops in failing:
        with pytest.raises(ConditionFailed):
            store.transact(ops)
        assert store.get("office_claim", "new") is None
        assert store.get("application", "A-4") == before
        assert store.get("office_claim", "taken") is not None

    store.transact(
        [
            Put("office_claim", "new", {"by": "A-4"}),
            Update("application", "A-4", {"status": "confirmed"}, expect_version=1),
            Delete("office_claim", "taken", expect_version=1),
        ]
    )
    claim = store.get("office_claim", "new")
    application = store.get("application", "A-4")
    assert claim is not None and claim.data == {"by": "A-4"}
    assert application is not None and application.data == {"status": "confirmed"}
    assert store.get("office_claim", "taken") is None


def test_transact_replaces_an_expired_record_atomically(store: Store) -> None:
    assert store.put_new("office_claim", "o", {"by": "old"}, expires_at=NOW)
    assert store.put_new("application", "A-5", {"status": "new"})
    store.transact(
        [
            Put("office_claim", "o", {"by": "A-5"}, replace_expired_before=NOW + timedelta(minutes=1)),
            Update("application", "A-5", {"status": "pending"}),
        ]
    )
    claim = store.get("office_claim", "o")
    assert claim is not None and claim.data == {"by": "A-5"}
    with pytest.raises(ConditionFailed):  # the new claim has no expiry: nothing can replace it
        store.transact(
            [Put("office_claim", "o", {"by": "B"}, replace_expired_before=NOW + timedelta(days=9))]
        )


def test_transact_refuses_what_dynamodb_refuses(store: Store) -> None:
    with pytest.raises(ValueError, match="only once"):
        store.transact([Put("k", "1", {}), Update("k", "1", {"a": 1})])
    with pytest.raises(ValueError, match="at most 100"):
        store.transact([Put("k", str(i), {}) for i in range(101)])
    with pytest.raises(ValueError, match="non-empty"):
        store.put_new("k", "", {})
    with pytest.raises(ValueError, match="non-empty"):
        store.get("", "1")
    assert store.query("k") == []  # nothing was written
    store.transact([Put("k", str(i), {"i": i}) for i in range(100)])
    assert len(store.query("k")) == 100


def test_increment_counts_up_to_the_limit(store: Store) -> None:
    assert store.increment("seat_counter", "live-2026-12", "taken", limit=3) == 1
    assert store.increment("seat_counter", "live-2026-12", "taken", limit=3) == 2
    assert store.increment("seat_counter", "live-2026-12", "taken", limit=3) == 3
    assert store.increment("seat_counter", "live-2026-12", "taken", limit=3) is None
    record = store.get("seat_counter", "live-2026-12")
    assert record is not None
    assert record.data == {"taken": 3}
    assert record.version == 3
    assert store.increment("seat_counter", "empty", "taken", limit=0) is None
    # Another field of an existing record starts from zero and keeps the other fields.
    assert store.put_new("seat_counter", "live-2027-03", {"capacity": 100})
    assert store.increment("seat_counter", "live-2027-03", "taken", limit=100) == 1
    record = store.get("seat_counter", "live-2027-03")
    assert record is not None and record.data == {"capacity": 100, "taken": 1}


def test_query_filters_by_where_and_orders_by_key(store: Store) -> None:
    rows = [
        ("S-003", {"session_id": "live-1", "member": "member", "n": 3}),
        ("S-001", {"session_id": "live-1", "member": "non_member", "n": 1}),
        ("S-002", {"session_id": "video", "member": "member", "n": 2}),
        ("S-004", {"session_id": "live-1", "member": "member", "n": 4}),
    ]
    for key, data in rows:
        assert store.put_new("seminar_signup", key, data)
    assert store.put_new("application", "S-000", {"session_id": "live-1"})  # another kind

    assert [r.key for r in store.query("seminar_signup")] == ["S-001", "S-002", "S-003", "S-004"]
    live = store.query("seminar_signup", where={"session_id": "live-1"})
    assert [r.key for r in live] == ["S-001", "S-003", "S-004"]
    both = store.query("seminar_signup", where={"session_id": "live-1", "member": "member"})
    assert [(r.key, r.data["n"]) for r in both] == [("S-003", 3), ("S-004", 4)]
    assert store.query("seminar_signup", where={"n": 2})[0].key == "S-002"
    assert store.query("seminar_signup", where={"missing": "x"}) == []
    assert store.query("nothing") == []


def test_query_where_compares_like_dynamodb(store: Store) -> None:
    assert store.put_new("t", "bool", {"flag": True, "tags": ["a", "b"], "office": None, "num": 2.5})
    assert store.put_new("t", "int", {"flag": 1, "tags": ["b", "a"], "office": "本社", "num": 2})
    assert [r.key for r in store.query("t", where={"flag": True})] == ["bool"]  # a bool is no number
    assert [r.key for r in store.query("t", where={"flag": 1})] == ["int"]
    assert [r.key for r in store.query("t", where={"num": 2.0})] == ["int"]  # numbers by value
    assert [r.key for r in store.query("t", where={"num": 2.5})] == ["bool"]
    assert [r.key for r in store.query("t", where={"tags": ["a", "b"]})] == ["bool"]  # lists in order
    assert [r.key for r in store.query("t", where={"office": None})] == ["bool"]
    assert [r.key for r in store.query("t", where={"office": "本社", "flag": 1})] == ["int"]


def test_query_reads_past_one_page(store: Store) -> None:
    # DynamoDB returns at most 1 MB per Query call: 300 records of ~4 KB need several pages.
    filler = "訓" * 1300  # 3 bytes each in UTF-8
    for i in range(300):
        assert store.put_new("report", f"R-{i:04d}", {"i": i, "even": i % 2 == 0, "filler": filler})
    records = store.query("report")
    assert [r.data["i"] for r in records] == list(range(300))
    assert len(store.query("report", where={"even": True})) == 150


def test_increment_keeps_the_expiry_of_the_record(store: Store) -> None:
    # The forms' expiring counters (rate limits, the daily mail cap) rely on it.
    expires = datetime(2026, 12, 2, tzinfo=UTC)
    assert store.put_new("rate_count", "w", {"n": 0}, expires_at=expires)
    assert store.increment("rate_count", "w", "n", limit=10) == 1
    record = store.get("rate_count", "w")
    assert record is not None and record.expires_at == expires


def test_compact_keeps_the_data_and_no_file_keeps_what_was_deleted(store: Store, tmp_path: Path) -> None:
    secret = "deleted-person@compact.example.jp"
    for n in range(30):  # several pages of log
        assert store.put_new("seminar_signup", f"s{n}", {"email": secret, "n": n})
    assert store.put_new("seminar_signup", "kept", {"email": "kept@compact.example.jp"})
    for n in range(30):
        store.delete("seminar_signup", f"s{n}")
    store.compact()
    assert store.get("seminar_signup", "kept") is not None
    assert store.get("seminar_signup", "s0") is None
    # SQLite: neither the database nor its write-ahead log keeps a copy (DynamoDB keeps no file).
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert [p.name for p in files if secret.encode() in p.read_bytes()] == []


def test_delete(store: Store) -> None:
    assert store.put_new("application", "A-6", {"x": 1})
    store.delete("application", "A-6")
    assert store.get("application", "A-6") is None
    store.delete("application", "A-6")  # deleting what is not there is fine
    assert store.put_new("application", "A-6", {"x": 2})  # the key is free again


def test_fifty_threads_put_new_one_key_exactly_one_wins(store: Store) -> None:
    results = in_parallel(50, lambda i: store.put_new("office_claim", "same-office", {"by": i}))
    assert results.count(True) == 1
    record = store.get("office_claim", "same-office")
    assert record is not None
    assert record.data["by"] == results.index(True)


def test_fifty_threads_increment_with_limit_twenty(store: Store) -> None:
    results = in_parallel(50, lambda _: store.increment("seat_counter", "zoom", "taken", limit=20))
    won = [r for r in results if r is not None]
    assert len(won) == 20
    assert sorted(won) == list(range(1, 21))
    record = store.get("seat_counter", "zoom")
    assert record is not None and record.data["taken"] == 20


def test_twenty_threads_replace_one_expired_record_exactly_one_wins(store: Store) -> None:
    assert store.put_new("office_claim", "expired", {"by": "old"}, expires_at=NOW)
    cutoff = NOW + timedelta(hours=1)
    results = in_parallel(
        20,
        lambda i: store.put_new(
            "office_claim",
            "expired",
            {"by": i},
            expires_at=cutoff + timedelta(days=1),
            replace_expired_before=cutoff,
        ),
    )
    assert results.count(True) == 1
    record = store.get("office_claim", "expired")
    assert record is not None and record.data["by"] == results.index(True)


def test_twenty_threads_optimistic_updates_exactly_one_wins(store: Store) -> None:
    assert store.put_new("application", "A-7", {"status": "pending"})
    results = in_parallel(20, lambda i: store.update("application", "A-7", {"by": i}, expect_version=1))
    assert results.count(True) == 1
    record = store.get("application", "A-7")
    assert record is not None
    assert record.version == 2 and record.data["by"] == results.index(True)


_PROCESS_WORKER = """
import json, sys, time
from pathlib import Path
from campaign_core.store.sqlite import SQLiteStore

path, go, index = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
store = SQLiteStore(path)
while not go.exists():
    time.sleep(0.005)
claimed = store.put_new("office_claim", "shared", {"by": index})
counts = [store.increment("seat_counter", "shared", "taken", limit=30) for _ in range(10)]
print(json.dumps([claimed, counts]))
"""


def test_sqlite_is_safe_across_processes(tmp_path: Path) -> None:
    """Six processes with their own SQLiteStore on one file (as several servers on one machine)."""
    path, go = tmp_path / "shared.sqlite3", tmp_path / "go"
    SQLiteStore(path).close()  # create the schema once
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _PROCESS_WORKER, str(path), str(go), str(i)],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(6)
    ]
    time.sleep(0.5)  # let them start and open the file
    go.touch()
    results = [json.loads(worker.communicate(timeout=60)[0]) for worker in workers]
    assert all(worker.returncode == 0 for worker in workers)
    assert [claimed for claimed, _ in results].count(True) == 1
    won = sorted(c for _, counts in results for c in counts if c is not None)
    assert won == list(range(1, 31))  # 60 tries, 30 seats, no number handed out twice


def test_with_prefix_reads_only_the_keys_under_the_prefix(store: Store) -> None:
    for key in ("M-1.a", "M-1.b", "M-10.a", "M-2.a"):
        store.put_new("drill_event", key, {"message": key.split(".")[0]})
    store.put_new("drill_message", "M-1.c", {"message": "other kind"})
    before = store.items_read
    assert [r.key for r in store.with_prefix("drill_event", "M-1.")] == ["M-1.a", "M-1.b"]
    # Only the two matching items were read, not the kind (the counter is what bench reports).
    assert store.items_read - before == 2
    assert store.with_prefix("drill_event", "M-3.") == []


def test_with_prefix_handles_keys_of_any_character(store: Store) -> None:
    store.put_new("note", "日本語.1", {"n": 1})
    store.put_new("note", "日本語x", {"n": 2})
    assert [r.data["n"] for r in store.with_prefix("note", "日本語.")] == [1]


def test_by_application_reads_one_application_and_one_kind(store: Store) -> None:
    store.put_new("drill_message", "M-2", {"application_id": "A-1", "email": "b@example.jp"})
    store.put_new("drill_message", "M-1", {"application_id": "A-1", "email": "a@example.jp"})
    store.put_new("drill_message", "M-3", {"application_id": "A-2", "email": "c@example.jp"})
    store.put_new("drill_event", "M-1.x", {"application_id": "A-1"})
    store.put_new("drill_event", "S-1.x", {"application_id": ""})  # a one-shot's event: no application
    before = store.items_read
    assert [r.key for r in store.by_application("drill_message", "A-1")] == ["M-1", "M-2"]
    assert store.items_read - before == 2
    assert [r.key for r in store.by_application("drill_event", "A-1")] == ["M-1.x"]
    assert store.by_application("drill_message", "A-9") == []


def test_by_application_follows_updates_and_deletes(store: Store) -> None:
    store.put_new("drill_check", "M-1", {"application_id": "A-1", "note": ""})
    store.put_new("drill_check", "M-2", {"note": ""})
    assert store.update("drill_check", "M-2", {"application_id": "A-1"})
    assert store.update("drill_check", "M-1", {"note": "reported"})  # other fields keep the index
    assert [r.data.get("note") for r in store.by_application("drill_check", "A-1")] == ["reported", ""]
    assert store.update("drill_check", "M-1", {"application_id": None})
    store.delete("drill_check", "M-2")
    assert store.by_application("drill_check", "A-1") == []


def test_items_read_counts_found_gets_and_whole_kind_queries(store: Store) -> None:
    for i in range(5):
        store.put_new("application", f"A-{i}", {"status": "accepted" if i < 2 else "pending"})
    before = store.items_read
    assert store.get("application", "A-0") is not None
    assert store.get("application", "missing") is None
    assert store.items_read - before == 1
    assert len(store.query("application", where={"status": "accepted"})) == 2
    assert store.items_read - before == 6  # a filter shrinks the answer, never what was read


def test_due_lists_only_records_whose_due_at_has_come(store: Store) -> None:
    store.put_new("drill_message", "M-1", {"due_at": "2026-11-27T09:00:00+00:00"})
    store.put_new("drill_message", "M-2", {"due_at": "2026-11-27T08:00:00.500000+00:00"})
    store.put_new("drill_message", "M-3", {"due_at": "2026-11-27T11:00:00+00:00"})  # later
    store.put_new("drill_message", "M-4", {"due_at": None})  # sent: not in the sparse index
    store.put_new("drill_notice", "N-1", {"due_at": "2026-11-27T09:00:00+00:00"})  # another kind
    before = store.items_read
    assert [r.key for r in store.due("drill_message", NOW)] == ["M-2", "M-1"]
    assert store.items_read - before == 2  # what is not due is not read
    assert [r.key for r in store.due("drill_message", NOW + timedelta(hours=2))] == ["M-2", "M-1", "M-3"]


def test_a_record_leaves_the_due_index_when_due_at_is_removed(store: Store) -> None:
    store.put_new("drill_message", "M-1", {"due_at": "2026-11-27T09:00:00+00:00", "state": "scheduled"})
    assert store.update("drill_message", "M-1", {"state": "sending"})  # other fields: still due
    assert [r.data["state"] for r in store.due("drill_message", NOW)] == ["sending"]
    assert store.update("drill_message", "M-1", {"state": "sent", "due_at": None})
    assert store.due("drill_message", NOW) == []
    assert store.update("drill_message", "M-1", {"due_at": "2026-11-27T09:30:00+00:00"})  # requeued
    assert [r.key for r in store.due("drill_message", NOW)] == ["M-1"]


def test_the_purge_index_starts_at_each_records_period_start_and_follows_it(store: Store) -> None:
    # The store itself gives a purged kind its `purge_at` (`with_period`): no writer can leave a record
    # out of the purge index. Other kinds get none.
    store.put_new("drill", "D-1", {"window_end": "2026-11-27T09:00:00+00:00"})
    store.transact([Put("application", "A-1", {"applied_at": "2026-11-27T08:00:00+00:00"})])
    store.put_new("drill_message", "M-1", {"window_end": "2026-11-27T09:00:00+00:00"})
    drill, message = store.get("drill", "D-1"), store.get("drill_message", "M-1")
    assert drill is not None and drill.data["purge_at"] == "2026-11-27T09:00:00+00:00"
    assert message is not None and "purge_at" not in message.data
    before = store.items_read
    assert [r.key for r in store.due("drill", NOW, index="purge_at")] == ["D-1"]
    assert [r.key for r in store.due("application", NOW, index="purge_at")] == ["A-1"]
    assert store.items_read - before == 2
    assert store.due("drill", NOW) == []  # the scheduler's index is another one

    # The purge moves a record on to its period's end; writing other fields keeps that.
    assert store.update("drill", "D-1", {"purge_at": "2029-11-27T09:00:00+00:00"})
    assert store.update("drill", "D-1", {"report_state": "sent"})
    assert store.due("drill", NOW, index="purge_at") == []
    # A moved window starts the period again; an explicit `purge_at` is kept as written.
    assert store.update("drill", "D-1", {"window_end": "2026-11-27T09:30:00+00:00"})
    assert [r.data["purge_at"] for r in store.due("drill", NOW, index="purge_at")] == [
        "2026-11-27T09:30:00+00:00"
    ]
    store.put_new("drill", "D-2", {"window_end": "2026-11-27T09:00:00+00:00", "purge_at": None})
    assert [r.key for r in store.due("drill", NOW + timedelta(days=9000), index="purge_at")] == ["D-1"]
    assert store.update("drill", "D-1", {"purge_at": None})  # out for good
    assert store.due("drill", NOW + timedelta(days=9000), index="purge_at") == []
