"""Rewrite a store written before the keyed layout into it (`campaign migrate-store`).

Two steps, both idempotent and resumable (a record already in the new layout is skipped, so a run
that stops half way is finished by running it again):

1. Data: a message or notice the scheduler still has work on (`scheduled` / `sending`), a drill
   still open for it and a confirmed one-shot request not yet queued get the `due_at` field that
   puts them in the sparse `due` index. Written with `expect_version`, so a
   record the scheduler touches meanwhile is left to the scheduler (counted as `changed`).
2. Listings: every drill gets its entry in its chamber's listing (`chamber_drill_key`).
3. Periods: every application, drill, signup, one-shot request and unsettled tracking event without
   a `purge_at` gets its period's start (`restart_periods`), which puts it in the `purge` index.
4. Index attributes (DynamoDB only): every item with a non-empty `application_id`, `due_at` or
   `purge_at` gets the `by_app` / `due` / `purge` GSI attributes. SQLite's indexes are expressions
   over the data: nothing to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from campaign_core.clock import JST, parse_iso
from campaign_core.records import (
    CHAMBER_DRILL,
    DRILL,
    EVENT,
    MESSAGE,
    NOTICE,
    ONESHOT,
    PERIOD_STARTS,
    chamber_drill_key,
    drill_due_at,
    oneshot_due_at,
    period_start,
)
from campaign_core.store import Record, Store

QUEUED_KINDS = (MESSAGE, NOTICE, DRILL, ONESHOT)


@dataclass
class MigrationSummary:
    due_added: int = 0  # messages and notices put in the `due` index
    open_added: int = 0  # open drills and waiting one-shot requests put in the `due` index
    listed: int = 0  # drills given their entry in their chamber's listing
    periods_added: int = 0  # records put in the `purge` index at their period's start
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
    summary.periods_added = restart_periods(store, only_missing=True, dry_run=dry_run)
    summary.reindexed = store.reindex(dry_run=dry_run)
    return summary


def restart_periods(store: Store, *, only_missing: bool, dry_run: bool = False) -> int:
    """Set each purged record's `purge_at` back to its period's start, so that the next purge looks
    at every one of them once and moves each on to the end of its period as the settings now say.
    `only_missing`: only records written before the `purge` index (`migrate-store`); otherwise
    every one (the purge does this itself, once, after a retention period was shortened). A full
    read of each kind: a migration, never a request. How many were (or would be) changed."""
    changed = 0
    for kind in PERIOD_STARTS:
        for record in store.query(kind):
            for _ in range(3):  # written meanwhile: read it again and decide again
                start = period_start(kind, record.data)
                current = record.data.get("purge_at")
                settled = kind == EVENT and bool(record.data.get("settled"))  # nothing left to purge
                if settled or current == start or (only_missing and current):
                    break
                written = dry_run or store.update(
                    kind, record.key, {"purge_at": start}, expect_version=record.version
                )
                if written:
                    changed += 1
                    break
                if (fresh := store.get(kind, record.key)) is None:
                    break
                record = fresh
    return changed
