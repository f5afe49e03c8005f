"""Rewrite a store written before the keyed layout into it (`campaign migrate-store`).

Two steps, both idempotent and resumable (a record already in the new layout is skipped, so a run
that stops half way is finished by running it again):

1. Data: a message or notice the scheduler still has work on (`scheduled` / `sending`), a drill
   still open for it and a confirmed one-shot request not yet queued get the `due_at` field that
   puts them in the sparse `due` index. Written with `expect_version`, so a
   record the scheduler touches meanwhile is left to the scheduler (counted as `changed`).
2. Listings: every drill gets its entry in its chamber's listing (`chamber_drill_key`).
3. Index attributes (DynamoDB only): every item with a non-empty `application_id` or `due_at` gets
   the `by_app` / `due` GSI attributes. SQLite's indexes are expressions over the data: nothing to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from campaign_core.clock import JST, parse_iso
from campaign_core.records import (
    CHAMBER_DRILL,
    DRILL,
    MESSAGE,
    NOTICE,
    ONESHOT,
    chamber_drill_key,
    drill_due_at,
    oneshot_due_at,
)
from campaign_core.store import Record, Store

QUEUED_KINDS = (MESSAGE, NOTICE, DRILL, ONESHOT)


@dataclass
class MigrationSummary:
    due_added: int = 0  # messages and notices put in the `due` index
    open_added: int = 0  # open drills and waiting one-shot requests put in the `due` index
    listed: int = 0  # drills given their entry in their chamber's listing
    changed: int = 0  # touched by someone else meanwhile: left as they are (run again)
    reindexed: int = 0  # DynamoDB items given their index attributes
    dry_run: bool = False
    keys: list[str] = field(default_factory=list)


def wanted_due_at(record: Record) -> str | None:
    """The `due_at` a queued record should carry, or None when it already has it / needs none."""
    data = record.data
    if data.get("due_at"):
        return None
    if record.kind == DRILL:
        return drill_due_at(data)
    if record.kind == ONESHOT:
        return oneshot_due_at(data)
    if data.get("state") == "scheduled":
        return str(data.get("next_attempt_at") or data.get("send_at") or "") or None
    if data.get("state") == "sending":
        # A lease without an end was due at once: the oldest possible instant keeps it first.
        return str(data.get("lease_until") or data.get("send_at") or "1970-01-01T00:00:00+00:00")
    return None


def migrate_store(store: Store, *, dry_run: bool = False) -> MigrationSummary:
    summary = MigrationSummary(dry_run=dry_run)
    for kind in QUEUED_KINDS:
        for record in store.query(kind):  # staff only: a one-off pass over the queued kinds
            due_at = wanted_due_at(record)
            if due_at is None:
                continue
            if dry_run or store.update(kind, record.key, {"due_at": due_at}, expect_version=record.version):
                if kind in (MESSAGE, NOTICE):
                    summary.due_added += 1
                else:
                    summary.open_added += 1
                summary.keys.append(record.key)
            else:
                summary.changed += 1
    for drill in store.query(DRILL):
        started = parse_iso(str(drill.data["window_start"])).astimezone(JST).date()
        key = chamber_drill_key(drill.data.get("chamber") or {}, started, drill.key)
        if key is None or store.get(CHAMBER_DRILL, key) is not None:
            continue
        entry = {"application_id": drill.key, "started": started.isoformat()}
        if dry_run or store.put_new(CHAMBER_DRILL, key, entry):
            summary.listed += 1
    summary.reindexed = store.reindex(dry_run=dry_run)
    return summary
