"""The store port: records keyed by (kind, key), written atomically where asked.

Two adapters implement it: `SQLiteStore` (the local default, one file under `var/`) and
`DynamoDBStore` (production, one table). Shared logic (expiry, capacity, idempotency) lives in
services above the port; adapters only store. Items are JSON-able dicts; datetimes are stored as
ISO 8601 UTC strings by the caller. `expires_at` is kept by the adapter (on DynamoDB it also feeds the
table's TTL). Expired records stay readable until they are replaced or deleted: `get` and `query`
return them with their `expires_at`, and the caller decides (on DynamoDB the TTL sweep may delete
them at any time after expiry, so never rely on reading an expired record).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from campaign_core.records import PERIOD_STARTS, TimeIndex, period_start

if TYPE_CHECKING:
    from campaign_core.settings import Settings


@dataclass(frozen=True)
class Record:
    kind: str  # e.g. "application", "office_claim", "seminar_signup", "seat_counter"
    key: str  # unique within kind
    data: dict[str, Any]
    version: int  # bumped on every write (optimistic concurrency)
    expires_at: datetime | None


class ConditionFailed(Exception):
    """Raised by `transact` when any condition fails; nothing was written."""


@dataclass(frozen=True)
class Put:
    """Create; fails unless absent, or present but expired at or before `replace_expired_before`."""

    kind: str
    key: str
    data: Mapping[str, Any]
    expires_at: datetime | None = None
    replace_expired_before: datetime | None = None


@dataclass(frozen=True)
class Update:
    """Merge `changes` into data; fails unless present and (expect_version is None or equal)."""

    kind: str
    key: str
    changes: Mapping[str, Any]
    expect_version: int | None = None
    expires_at: datetime | Literal["keep"] | None = "keep"


@dataclass(frozen=True)
class Delete:
    """Remove; with `expect_version`, fails unless present with that version."""

    kind: str
    key: str
    expect_version: int | None = None


Op = Put | Update | Delete


def with_period(op: Op) -> Op:
    """`op` with the record's `purge_at` set to its period's start (`records.PERIOD_STARTS`) when
    the op writes that start and does not set `purge_at` itself: so no writer can leave a record out
    of the purge index, and a moved start (a drill's window moved) is looked at again. Both adapters
    apply it to every op they write, through `check_ops`."""
    field = PERIOD_STARTS.get(op.kind)
    if field is None or isinstance(op, Delete):
        return op
    if isinstance(op, Put) and "purge_at" not in op.data and (start := period_start(op.kind, op.data)):
        return replace(op, data={**op.data, "purge_at": start})
    if isinstance(op, Update) and field in op.changes and "purge_at" not in op.changes:
        return replace(op, changes={**op.changes, "purge_at": period_start(op.kind, op.changes)})
    return op


class Store(ABC):
    """The port. Adapters implement the abstract methods; `put_new` and `update` are one-op writes
    shared by both (DynamoDB writes a single op without a transaction: `write_one`)."""

    @abstractmethod
    def get(self, kind: str, key: str) -> Record | None: ...

    @abstractmethod
    def transact(self, ops: Sequence[Put | Update | Delete]) -> None:
        """All or nothing; raises `ConditionFailed` when any op's condition fails."""

    def write_one(self, op: Put | Update | Delete) -> bool:
        """One op; False when its condition fails."""
        try:
            self.transact([op])
        except ConditionFailed:
            return False
        return True

    def put_new(
        self,
        kind: str,
        key: str,
        data: Mapping[str, Any],
        *,
        expires_at: datetime | None = None,
        replace_expired_before: datetime | None = None,
    ) -> bool:
        """True if written (see `Put`)."""
        return self.write_one(Put(kind, key, data, expires_at, replace_expired_before))

    def update(
        self, kind: str, key: str, changes: Mapping[str, Any], *, expect_version: int | None = None
    ) -> bool:
        """True if written (see `Update`); `expires_at` is kept."""
        return self.write_one(Update(kind, key, changes, expect_version))

    @abstractmethod
    def increment(self, kind: str, key: str, field: str, *, limit: int) -> int | None:
        """Atomically +1 if the current value < limit (missing counts as 0, the record is created);
        returns the new value, or None when full."""

    @abstractmethod
    def query(self, kind: str, *, where: Mapping[str, Any] | None = None) -> list[Record]:
        """Staff only: all records of a kind whose data[field] == value for every `where` item;
        ordered by key. It reads the whole kind, so no request or scheduler path may call it
        (`tests/test_store_paths.py` enforces this for the paths already moved to the keyed reads)."""

    @abstractmethod
    def with_prefix(self, kind: str, prefix: str) -> list[Record]:
        """The records of a kind whose key starts with `prefix` (non-empty), ordered by key; a
        strongly consistent range read of the base key (e.g. one message's events: `<message>.`)."""

    @abstractmethod
    def by_application(self, kind: str, application_id: str) -> list[Record]:
        """The records of a kind whose data["application_id"] equals `application_id`, ordered by
        key; read through an index of that field (DynamoDB: the `by_app` GSI, eventually
        consistent; SQLite: an expression index)."""

    @abstractmethod
    def due(self, kind: str, before: datetime, *, index: TimeIndex = "due_at") -> list[Record]:
        """The records of a kind whose data[index] (an ISO 8601 UTC string, see
        `campaign_core.clock.iso`) is at or before `before`, oldest first; a sparse index: a record
        is in it only while that field is set (write None to take it out). `due_at`: what the
        scheduler has to do (DynamoDB: the `due` GSI). `purge_at`: when the daily purge should look
        at a record again (`with_period`; DynamoDB: the `purge` GSI)."""

    def reindex(self, *, dry_run: bool = False) -> int:
        """Give items written before an index existed what that index needs; how many were (or,
        with `dry_run`, would be) changed. Idempotent. Only `campaign migrate-store` calls it; the
        default (SQLite: indexes are expressions over the data) has nothing to do."""
        return 0

    #: Items the adapter read from storage since it was created (gets that found an item, and
    #: every item a query or range read examined): what tests and `make bench` count.
    items_read: int = 0

    @abstractmethod
    def delete(self, kind: str, key: str) -> None: ...

    def close(self) -> None:  # noqa: B027 - a no-op unless the adapter holds connections
        """Release what the adapter holds open (SQLite: its connections)."""

    def compact(self) -> None:  # noqa: B027 - a no-op unless the adapter keeps files of its own
        """After deleting personal data: leave no copy of it in the adapter's own files (SQLite:
        checkpoint and truncate the write-ahead log). DynamoDB needs nothing: a no-op."""


MAX_TRANSACTION_OPS = 100  # DynamoDB's TransactWriteItems limit; SQLite keeps to it too


def check_ops(ops: Sequence[Op]) -> list[Op]:
    """What both adapters do to every write first: refuse what DynamoDB would refuse (so code that
    runs locally also runs on DynamoDB), and give each record its period (`with_period`). Returns
    the ops to write."""
    if len(ops) > MAX_TRANSACTION_OPS:
        raise ValueError(f"a transaction takes at most {MAX_TRANSACTION_OPS} ops, got {len(ops)}")
    targets = [(op.kind, op.key) for op in ops]
    if len(set(targets)) != len(targets):
        raise ValueError("a transaction may touch each (kind, key) only once")
    for kind, key in targets:
        check_key(kind, key)
    return [with_period(op) for op in ops]


def check_key(kind: str, key: str) -> None:
    if not kind or not key:
        raise ValueError("kind and key must be non-empty strings")


def create_store(settings: Settings) -> Store:
    """The adapter named by `settings.store_backend` ("sqlite" | "dynamodb")."""
    backend = settings.store_backend
    if backend == "sqlite":
        from campaign_core.store.sqlite import SQLiteStore

        return SQLiteStore(settings.sqlite_path)
    if backend == "dynamodb":
        from campaign_core.store.dynamodb import DynamoDBStore

        return DynamoDBStore.from_settings(settings)
    raise ValueError(f"unknown store backend {backend!r} (expected 'sqlite' or 'dynamodb')")


__all__ = [
    "MAX_TRANSACTION_OPS",
    "ConditionFailed",
    "Delete",
    "Op",
    "Put",
    "Record",
    "Store",
    "Update",
    "check_key",
    "check_ops",
    "create_store",
]
