"""The campaign-wide figures a drill report stands beside, without reading the campaign.

Each fiscal year (April to March, JST, by the window's start) has one `campaign_summary` record:
the sums of every counted drill's figures (mails sent, reported, opened, clicked) and a histogram
of minutes to report, so the median stays exact. A drill is counted once its window has closed,
the first time its report is built (the scheduler builds it when it mails the officer). The drill
keeps the figures it added (`counted`); a later build with other figures (a late forward, the
officer's check sheet) replaces them in the sum, in one transaction with the drill, so the sum
always equals the drills' own figures. A report reads its own drill's records and this one record:
the same cost in the campaign's third year as on its first day.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from campaign_core.clock import JST
from campaign_core.deps import Deps
from campaign_core.drill_records import Drill
from campaign_core.records import CAMPAIGN_SUMMARY, DRILL
from campaign_core.store import ConditionFailed, Put, Update

FIELDS = ("drills", "sent", "reported", "opened", "clicked")


@dataclass(frozen=True)
class Figures:
    drills: int = 0
    sent: int = 0
    reported: int = 0
    opened: int = 0
    clicked: int = 0
    minutes: Mapping[int, int] | None = None  # minutes to report -> how many people

    @classmethod
    def from_data(cls, data: Mapping[str, Any] | None) -> Figures:
        data = data or {}
        minutes = {int(m): int(n) for m, n in dict(data.get("minutes") or {}).items()}
        sums = {name: int(data.get(name, 0) or 0) for name in FIELDS}
        return cls(**sums, minutes=minutes)

    def to_data(self) -> dict[str, Any]:
        minutes = {str(m): n for m, n in sorted((self.minutes or {}).items()) if n}
        return {**{name: getattr(self, name) for name in FIELDS}, "minutes": minutes}

    def plus(self, other: Figures, sign: int = 1) -> Figures:
        minutes = Counter(self.minutes or {})
        for value, count in (other.minutes or {}).items():
            minutes[value] += sign * count
        sums = {name: getattr(self, name) + sign * getattr(other, name) for name in FIELDS}
        return Figures(**sums, minutes={m: n for m, n in minutes.items() if n > 0})

    def median_minutes(self) -> float | None:
        values = list(Counter(self.minutes or {}).elements())
        return statistics.median(values) if values else None


def fiscal_year(instant: datetime) -> str:
    """The Japanese fiscal year (April start) of an instant, as the summary's key: "fy2026"."""
    day = instant.astimezone(JST).date()
    return f"fy{day.year if day.month >= 4 else day.year - 1}"


def campaign_figures(deps: Deps, drill: Drill, mine: Figures, *, closed: bool) -> Figures:
    """The fiscal year's figures with this drill's current ones in place of what it added before;
    when `closed` (the window is over), the summary is brought up to date as well."""
    key = fiscal_year(drill.window()[0])
    mine = Figures.from_data(mine.to_data())  # as stored, so that equal figures compare equal
    for _ in range(5):
        summary = deps.store.get(CAMPAIGN_SUMMARY, key)
        counted = Figures.from_data(drill.counted) if drill.counted is not None else Figures()
        total = Figures.from_data(summary.data if summary else None).plus(counted, -1).plus(mine)
        if not closed or (drill.counted is not None and counted == mine):
            return total
        ops: list[Put | Update] = [
            Update(DRILL, drill.key, Drill.changes(counted=mine.to_data()), expect_version=drill.version),
            Put(CAMPAIGN_SUMMARY, key, total.to_data())
            if summary is None
            else Update(CAMPAIGN_SUMMARY, key, total.to_data(), expect_version=summary.version),
        ]
        try:
            deps.store.transact(ops)
            return total
        except ConditionFailed:  # another report of the same year was counted just now: read again
            again = deps.store.get(DRILL, drill.key)
            if again is None:
                return total
            drill = Drill.from_record(again)
    return total
