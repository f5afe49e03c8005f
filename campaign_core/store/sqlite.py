"""The SQLite adapter of the store port: one file, one table, WAL, `BEGIN IMMEDIATE` transactions.

Every write runs inside `BEGIN IMMEDIATE`, which takes the database's write lock before reading, so a
check ("absent?", "version still 3?", "count below the limit?") and the write that depends on it can
never interleave with another writer, in this process or another. Each thread gets its own
connection (sqlite3 connections must not be shared across threads mid-transaction); `busy_timeout`
makes a writer wait for the lock instead of failing at once.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from campaign_core.clock import iso
from campaign_core.records import TimeIndex
from campaign_core.store import ConditionFailed, Delete, Put, Record, Store, Update, check_key, check_ops
from campaign_core.store.filters import matching

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    data TEXT NOT NULL,
    version INTEGER NOT NULL,
    expires_at INTEGER,
    PRIMARY KEY (kind, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS records_by_app
    ON records (json_extract(data, '$.application_id'), kind, key);
CREATE INDEX IF NOT EXISTS records_due
    ON records (kind, json_extract(data, '$.due_at'))
    WHERE json_extract(data, '$.due_at') IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_purge
    ON records (kind, json_extract(data, '$.purge_at'))
    WHERE json_extract(data, '$.purge_at') IS NOT NULL;
"""

_UPSERT = "INSERT OR REPLACE INTO records (kind, key, data, version, expires_at) VALUES (?, ?, ?, ?, ?)"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
BUSY_TIMEOUT_MS = 30_000
_SELECT = "SELECT kind, key, data, version, expires_at FROM records WHERE"
# `Store.due` per time index: INDEXED BY, or the planner may read the whole kind by its primary key.
_TIME_INDEX_SELECTS = {
    "due_at": "SELECT kind, key, data, version, expires_at FROM records INDEXED BY records_due"
    " WHERE kind = ? AND json_extract(data, '$.due_at') IS NOT NULL"
    " AND json_extract(data, '$.due_at') <= ? ORDER BY json_extract(data, '$.due_at'), key",
    "purge_at": "SELECT kind, key, data, version, expires_at FROM records INDEXED BY records_purge"
    " WHERE kind = ? AND json_extract(data, '$.purge_at') IS NOT NULL"
    " AND json_extract(data, '$.purge_at') <= ? ORDER BY json_extract(data, '$.purge_at'), key",
}
_MAX_CHAR = "\U0010ffff"  # sorts after every other character (keys compare as UTF-8 bytes)


def to_micros(moment: datetime) -> int:
    """An aware datetime as whole microseconds since the epoch (exact, comparable as an integer)."""
    if moment.tzinfo is None:
        raise ValueError("the store takes timezone-aware datetimes only")
    return (moment - _EPOCH) // timedelta(microseconds=1)


def from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def _dumps(data: Mapping[str, Any]) -> str:
    return json.dumps(dict(data), ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class _Failed(Exception):
    """One op's condition failed inside a transaction (turned into False or ConditionFailed)."""


class SQLiteStore(Store):
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self.items_read = 0
        self._read_lock = threading.Lock()
        with self._write() as conn:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)

    # -- connections -------------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            # isolation_level=None: no implicit transactions; we issue BEGIN IMMEDIATE ourselves.
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            # FULL: a claim or signup we answered "yes" to survives a power cut, not only a crash.
            conn.execute("PRAGMA synchronous = FULL")
            # Deleted content is overwritten, not left in free pages (`forget` must really forget).
            conn.execute("PRAGMA secure_delete = ON")
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        """Close every connection this store opened (from any thread)."""
        with self._connections_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    def compact(self) -> None:
        """Copy the write-ahead log into the database and truncate it to nothing, so no page of it
        keeps a deleted record (the WAL holds every page version since the last checkpoint, and
        while the server holds its connections open nothing else checkpoints it)."""
        for attempt in range(50):
            busy, _log, _done = self._conn().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy:
                return
            time.sleep(0.01 * (attempt + 1))  # a reader of another connection is mid-read
        raise RuntimeError(f"the write-ahead log of {self.path} could not be checkpointed")

    # -- reads -------------------------------------------------------------------------------

    @staticmethod
    def _record(kind: str, key: str, data: str, version: int, expires_at: int | None) -> Record:
        return Record(
            kind=kind,
            key=key,
            data=json.loads(data),
            version=version,
            expires_at=None if expires_at is None else from_micros(expires_at),
        )

    def get(self, kind: str, key: str) -> Record | None:
        check_key(kind, key)
        row = (
            self._conn()
            .execute(
                "SELECT kind, key, data, version, expires_at FROM records WHERE kind = ? AND key = ?",
                (kind, key),
            )
            .fetchone()
        )
        if row is None:
            return None
        self._count(1)
        return self._record(*row)

    def _count(self, items: int) -> None:
        with self._read_lock:
            self.items_read += items

    def _select(self, sql: str, params: Sequence[Any]) -> list[Record]:
        rows = self._conn().execute(sql, params).fetchall()
        self._count(len(rows))
        return [self._record(*row) for row in rows]

    def with_prefix(self, kind: str, prefix: str) -> list[Record]:
        check_key(kind, prefix)
        # A range of the primary key (substr keeps it exact for any character, and indexable).
        return self._select(
            f"{_SELECT} kind = ? AND key >= ? AND key < ? AND substr(key, 1, ?) = ? ORDER BY key",
            (kind, prefix, prefix + _MAX_CHAR, len(prefix), prefix),
        )

    def by_application(self, kind: str, application_id: str) -> list[Record]:
        check_key(kind, application_id)
        return self._select(
            # INDEXED BY: the planner would otherwise pick the primary key (kind) and read the whole
            # kind; with it, SQLite fails loudly if the index cannot serve the query.
            "SELECT kind, key, data, version, expires_at FROM records INDEXED BY records_by_app"
            " WHERE json_extract(data, '$.application_id') = ? AND kind = ? ORDER BY key",
            (application_id, kind),
        )

    def due(self, kind: str, before: datetime, *, index: TimeIndex = "due_at") -> list[Record]:
        check_key(kind, index)
        return self._select(_TIME_INDEX_SELECTS[index], (kind, iso(before)))

    def query(self, kind: str, *, where: Mapping[str, Any] | None = None) -> list[Record]:
        rows = (
            self._conn()
            .execute(
                "SELECT kind, key, data, version, expires_at FROM records WHERE kind = ? ORDER BY key",
                (kind,),
            )
            .fetchall()
        )
        self._count(len(rows))
        records = [self._record(*row) for row in rows]
        return matching(records, where)

    # -- writes ------------------------------------------------------------------------------

    @staticmethod
    def _current(conn: sqlite3.Connection, kind: str, key: str) -> tuple[str, int, int | None] | None:
        row: tuple[str, int, int | None] | None = conn.execute(
            "SELECT data, version, expires_at FROM records WHERE kind = ? AND key = ?", (kind, key)
        ).fetchone()
        return row

    def _apply(self, conn: sqlite3.Connection, op: Put | Update | Delete) -> None:
        current = self._current(conn, op.kind, op.key)
        if isinstance(op, Put):
            version = 1
            if current is not None:
                _, old_version, old_expiry = current
                cutoff = op.replace_expired_before
                if cutoff is None or old_expiry is None or old_expiry > to_micros(cutoff):
                    raise _Failed
                version = old_version + 1  # keep versions monotonic across a replacement
            conn.execute(
                _UPSERT,
                (
                    op.kind,
                    op.key,
                    _dumps(op.data),
                    version,
                    None if op.expires_at is None else to_micros(op.expires_at),
                ),
            )
        elif isinstance(op, Update):
            if current is None:
                raise _Failed
            data_text, version, expiry = current
            if op.expect_version is not None and op.expect_version != version:
                raise _Failed
            data = json.loads(data_text)
            data.update(op.changes)
            if op.expires_at != "keep":
                expiry = None if op.expires_at is None else to_micros(op.expires_at)
            conn.execute(
                "UPDATE records SET data = ?, version = ?, expires_at = ? WHERE kind = ? AND key = ?",
                (_dumps(data), version + 1, expiry, op.kind, op.key),
            )
        else:
            if op.expect_version is not None and (current is None or current[1] != op.expect_version):
                raise _Failed
            conn.execute("DELETE FROM records WHERE kind = ? AND key = ?", (op.kind, op.key))

    def transact(self, ops: Sequence[Put | Update | Delete]) -> None:
        ops = check_ops(ops)
        try:
            with self._write() as conn:
                for op in ops:
                    self._apply(conn, op)
        except _Failed:
            raise ConditionFailed("a condition in the transaction failed; nothing was written") from None

    def increment(self, kind: str, key: str, field: str, *, limit: int) -> int | None:
        check_key(kind, key)
        with self._write() as conn:
            current = self._current(conn, kind, key)
            if current is None:
                data: dict[str, Any] = {}
                version = 0
                expiry = None
            else:
                data_text, version, expiry = current
                data = json.loads(data_text)
            count = int(data.get(field, 0))
            if count >= limit:
                return None
            data[field] = count + 1
            conn.execute(
                _UPSERT,
                (kind, key, _dumps(data), version + 1, expiry),
            )
            return count + 1

    def delete(self, kind: str, key: str) -> None:
        self.transact([Delete(kind, key)])
