"""HQ tests reuse the drill tests' fixtures: a store on SQLite or DynamoDB (a real moto server), a
real SMTP server, accepted applications made through the forms services, a sent drill."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing

from campaign_core.store import Store
from campaign_core.store.dynamodb import DynamoDBStore
from campaign_core.store.sqlite import SQLiteStore
from tests.drill.conftest import (  # noqa: F401 (fixtures)
    backend,
    clock,
    deps,
    make_deps,
    moto,
    pacing,
    settings,
    smtp,
    store,
    store_extra,
)
from tests.drill.test_tracking import client, sent  # noqa: F401 (fixtures)


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
