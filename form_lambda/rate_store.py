"""Rate-limit counters in the campaign's store, so every Lambda container counts together.

flask-limiter keeps its counters in a `limits` storage; its memory storage counts per process, and
each Lambda container is a process of its own (ten warm containers let ten times the limit
through). `StoreCounters` is a `limits` storage (scheme `campaign-store://`) over the store port:
one record per limit window, counted with the store's atomic `increment`, expiring with the
window (`expires_at`, the TTL on DynamoDB). Direct gets by key only; the key is hashed, so no client
address or mail address is kept in it.

Only the fixed-window strategy is supported (flask-limiter's default).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from limits.storage import Storage

from campaign_core.clock import Clock
from campaign_core.records import RATE_COUNT
from campaign_core.store import Record, Store

SCHEME = "campaign-store"
_NO_CEILING = 2**53  # `increment` always takes a limit; flask-limiter compares the count itself


class StoreCounters(Storage):
    STORAGE_SCHEME = [SCHEME]  # noqa: RUF012 - how `limits` registers a storage class

    def __init__(
        self,
        uri: str | None = None,
        wrap_exceptions: bool = False,
        **options: Any,
    ) -> None:
        store, clock = options.get("store"), options.get("clock")
        if not isinstance(store, Store) or clock is None:
            raise ValueError("campaign-store:// needs storage_options store= and clock=")
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self.store: Store = store
        self.clock: Clock = clock

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return Exception  # whatever the adapter raises (sqlite3, botocore)

    @staticmethod
    def _key(key: str) -> str:
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]

    def _live(self, key: str) -> Record | None:
        record = self.store.get(RATE_COUNT, self._key(key))
        if record is None or (record.expires_at is not None and record.expires_at <= self.clock.now()):
            return None
        return record

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = self.clock.now()
        if self._live(key) is None:
            # A new window; a racing request that also starts it finds it written and just counts.
            self.store.put_new(
                RATE_COUNT,
                self._key(key),
                {"n": 0},
                expires_at=now + timedelta(seconds=expiry),
                replace_expired_before=now,
            )
        count = 0
        for _ in range(amount):
            count = self.store.increment(RATE_COUNT, self._key(key), "n", limit=_NO_CEILING) or count
        return count

    def get(self, key: str) -> int:
        record = self._live(key)
        return 0 if record is None else int(record.data.get("n", 0))

    def get_expiry(self, key: str) -> float:
        record = self._live(key)
        if record is None or record.expires_at is None:
            return self.clock.now().timestamp()
        return record.expires_at.timestamp()

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        return None  # counters expire by themselves; nothing lists them

    def clear(self, key: str) -> None:
        self.store.delete(RATE_COUNT, self._key(key))
