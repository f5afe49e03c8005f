"""Which drills the scheduler still has work on, kept in the store's sparse `due` index.

A drill is open from scheduling until its reveal and follow-up are planned and its report is sent
or held. While open, its data carries `due_at` (the window's start), so `Store.due` lists only the
open drills: a scheduler run reads the drills of this season, not every drill of the campaign's
history. Every change to `followups_planned` or `report_state` goes through `change_drill`, which
keeps `due_at` in step (the rule: `Drill.wanted_due_at`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from campaign_core.deps import Deps
from campaign_core.drill_records import Drill
from campaign_core.records import DRILL

WAITING, SENDING, HELD, SENT = "waiting", "sending", "held", "sent"


def open_drills(deps: Deps) -> list[Drill]:
    """The drills whose window has started and that the scheduler still has work on."""
    return [Drill.from_record(r) for r in deps.store.due(DRILL, deps.now())]


def change_drill(
    deps: Deps, application_id: str, changes: Mapping[str, Any], *, expect_version: int | None = None
) -> bool:
    """Write `changes` (`Drill.changes`) to the drill with its `due_at` recomputed. With
    `expect_version`, one try (False when the drill changed meanwhile); without, retried over
    concurrent writes. False when there is no such drill."""
    for _ in range(5):
        record = deps.store.get(DRILL, application_id)
        if record is None or (expect_version is not None and record.version != expect_version):
            return False
        drill = Drill.from_record(record)
        due = Drill.changes(due_at=drill.updated(changes).wanted_due_at())
        if deps.store.update(DRILL, application_id, {**changes, **due}, expect_version=drill.version):
            return True
        if expect_version is not None:
            return False
    return False
