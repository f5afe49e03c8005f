"""Rewrite a store written before the keyed layout into it (`campaign migrate-store`).

Two steps, both idempotent and resumable (a record already in the new layout is skipped, so a run
that stops half way is finished by running it again):

1. Data: a message or notice the scheduler still has work on (`scheduled` / `sending`) gets the
   `due_at` field that puts it in the sparse `due` index. Written with `expect_version`, so a
   record the scheduler touches meanwhile is left to the scheduler (counted as `changed`).
2. Index attributes (DynamoDB only): every item with a non-empty `application_id` or `due_at` gets
   the `by_app` / `due` GSI attributes. SQLite's indexes are expressions over the data: nothing to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from campaign_core.records import MESSAGE, NOTICE
from campaign_core.store import Record, Store

QUEUED_KINDS = (MESSAGE, NOTICE)


@dataclass
class MigrationSummary:
    due_added: int = 0  # messages and notices put in the `due` index
    changed: int = 0  # touched by someone else meanwhile: left as they are (run again)
    reindexed: int = 0  # DynamoDB items given their index attributes
    dry_run: bool = False
    keys: list[str] = field(default_factory=list)


def wanted_due_at(record: Record) -> str | None:
    """The `due_at` a queued record should carry, or None when it already has it / needs none."""
    data = record.data
    if data.get("due_at"):
        return None
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
                summary.due_added += 1
                summary.keys.append(record.key)
            else:
                summary.changed += 1
    summary.reindexed = store.reindex(dry_run=dry_run)
    return summary
