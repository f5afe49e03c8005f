"""Helpers of the HQ and purge tests (retention, forgetting): a seminar signup as the form stores it,
and every stored item, whatever the store."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import closing

from campaign_core.clock import Clock
from campaign_core.records import SIGNUP
from campaign_core.settings import Settings
from campaign_core.store import Store
from campaign_core.store.dynamodb import DynamoDBStore
from campaign_core.store.sqlite import SQLiteStore
from hq.audit import staff_member
from tests.support import TEST_SECRET
from tests.support.drill import store_environ


def every_item(target: Store) -> Iterator[tuple[str, str, str]]:
    """(kind, key, raw stored text) of every item in the store, whatever its kind: a full scan."""
    if isinstance(target, SQLiteStore):
        with closing(sqlite3.connect(target.path)) as db:
            rows = db.execute("SELECT kind, key, data FROM records").fetchall()
        for kind, key, data in rows:
            yield str(kind), str(key), str(data)
        return
    assert isinstance(target, DynamoDBStore)
    for page in target.client.get_paginator("scan").paginate(TableName=target.table_name):
        for item in page["Items"]:
            yield item["pk"]["S"], item["sk"]["S"], repr(item)


def signup(store: Store, key: str, email: str, at: str) -> None:
    """A seminar signup as the form stores it, consented and signed up at `at`."""
    store.put_new(
        SIGNUP,
        key,
        {
            "session_id": "s1",
            "company": "株式会社サンプル",
            "name": "佐藤 花子",
            "email": email,
            "member": "non_member",
            "consent": {"version": "2026-11", "at": at},
            "signed_up_at": at,
        },
    )


def hq_command_env(settings: Settings, clock: Clock, staff: str | None = None) -> dict[str, str]:
    """The environment HQ staff run `campaign` with against the test's store, at the clock's now."""
    environ = {
        "CAMPAIGN_DATA_DIR": str(settings.data_dir),
        "CAMPAIGN_SECRET_KEY": TEST_SECRET,
        "CAMPAIGN_STORE": settings.store_backend,
        "CAMPAIGN_NOW": clock.now().isoformat(),
        **store_environ(settings),
    }
    if staff:
        environ["CAMPAIGN_STAFF"] = staff
    return environ


def audit_who(environ: Mapping[str, str]) -> str:
    """Who the audit line names for a command run with `environ`: the STS caller on DynamoDB
    (moto's identity here), the `CAMPAIGN_STAFF` name locally."""
    return staff_member(environ)
