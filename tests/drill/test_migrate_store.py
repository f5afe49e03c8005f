"""`campaign migrate-store` on data written in the layout before the keyed reads, on SQLite and
DynamoDB (moto): the drill's queued mails come back to the scheduler and to their application."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

from campaign_core.clock import FixedClock
from campaign_core.deps import Deps
from campaign_core.records import APPLICATION, DRILL, MESSAGE, period_start
from campaign_core.settings import Settings
from campaign_core.store import Store
from campaign_core.store.dynamodb import DynamoDBStore
from campaign_core.store.sqlite import SQLiteStore
from drill_sender.services.send import due_messages, send_due
from tests.support.drill import Run, scheduled_and_due, staff

OLD_ATTRIBUTES = ("app", "app_sk", "due_kind", "due_at", "d_due_at", "purge_kind", "purge_at", "d_purge_at")


def to_old_layout(store: Store) -> None:
    """Rewrite every stored item as the previous release wrote it: no `due_at` or `purge_at` field
    and, on DynamoDB, no index attributes (what an existing table holds when the GSIs are added)."""
    if isinstance(store, SQLiteStore):
        with sqlite3.connect(store.path) as conn:
            conn.execute("UPDATE records SET data = json_remove(data, '$.due_at', '$.purge_at')")
        return
    assert isinstance(store, DynamoDBStore)
    client = store.client
    for page in client.get_paginator("scan").paginate(TableName=store.table_name):
        for item in page["Items"]:
            client.update_item(
                TableName=store.table_name,
                Key={"pk": item["pk"], "sk": item["sk"]},
                UpdateExpression="REMOVE " + ", ".join(f"#a{i}" for i in range(len(OLD_ATTRIBUTES))),
                ExpressionAttributeNames={f"#a{i}": name for i, name in enumerate(OLD_ATTRIBUTES)},
            )


def test_migrate_store_brings_old_items_into_the_indexes_idempotently(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps, run: Run
) -> None:
    app_id = scheduled_and_due(store, settings, clock, deps, staff(3))
    assert len(due_messages(deps)) == 3
    to_old_layout(store)
    # The old layout is invisible to the keyed reads: this is what the migration is for.
    assert due_messages(deps) == []
    if isinstance(store, DynamoDBStore):
        assert store.by_application(MESSAGE, app_id) == []
    later = clock.now() + timedelta(days=4 * 365)
    assert store.due(APPLICATION, later, index="purge_at") == []  # the purge would never see it

    dry = run("migrate-store", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    planned = json.loads(dry.output)
    assert planned["due_added"] == 3 and planned["dry_run"] is True
    assert planned["open_added"] == 1  # the drill itself, still open for the scheduler
    assert planned["periods_added"] == 2  # the application and its drill get their periods' start
    assert due_messages(deps) == []  # a dry run writes nothing

    done = run("migrate-store")
    assert done.exit_code == 0, done.output
    assert "送信待ちのメール: 3 件を書き換えました。" in done.output
    assert len(due_messages(deps)) == 3
    assert len(store.by_application(MESSAGE, app_id)) == 3
    assert "保存期間の確認日を付ける記録: 2 件を書き換えました。" in done.output
    for kind in (APPLICATION, DRILL):
        (record,) = store.due(kind, later, index="purge_at")
        assert record.key == app_id and record.data["purge_at"] == period_start(kind, record.data)

    again = json.loads(run("migrate-store", "--json").output)
    assert (again["due_added"], again["periods_added"], again["reindexed"], again["changed"]) == (0, 0, 0, 0)
    assert send_due(deps).count("sent") == 3  # and the scheduler sends them as before
    assert due_messages(deps) == []  # sent mail leaves the due index
