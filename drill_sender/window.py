"""The send window of a drill: Japanese business hours over a few business days, and a random,
spaced-out send time for each participant inside it.

Times are timezone-aware: intervals are computed on the JST calendar (holidays, office hours) and
returned in UTC, the store's time; `Interval.start_jst` / `end_jst` are for people reading them.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

import jpholiday

from campaign_core.clock import JST

T = TypeVar("T")

# 年末年始: most small offices close from 12/29 to 1/3, so a drill mail then would sit unread
# for days (and the officer would not be there to receive reports).
YEAR_END_DAYS: frozenset[tuple[int, int]] = frozenset({(12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3)})


@dataclass(frozen=True)
class WindowConfig:
    """Office hours in JST; weekdays as `date.weekday()` numbers (0 = Monday)."""

    opens: time = time(9, 0)
    closes: time = time(17, 0)
    weekdays: frozenset[int] = field(default_factory=lambda: frozenset(range(5)))
    closed_days: frozenset[tuple[int, int]] = YEAR_END_DAYS  # (month, day), every year

    def __post_init__(self) -> None:
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("office hours are naive wall-clock times in JST")
        if self.opens >= self.closes:
            raise ValueError("the office must open before it closes")
        if not self.weekdays or not self.weekdays <= set(range(7)):
            raise ValueError("weekdays must be a non-empty set of numbers 0..6")


@dataclass(frozen=True)
class Interval:
    """A half-open span [start, end) in which drill mails may be sent (UTC)."""

    start: datetime
    end: datetime

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    @property
    def start_jst(self) -> datetime:
        return self.start.astimezone(JST)

    @property
    def end_jst(self) -> datetime:
        return self.end.astimezone(JST)

    def __contains__(self, instant: object) -> bool:
        return isinstance(instant, datetime) and self.start <= instant < self.end


def is_business_day(day: date, config: WindowConfig | None = None) -> bool:
    """A weekday of the office, not a national holiday (振替休日 included), not 年末年始."""
    config = config or WindowConfig()
    return (
        day.weekday() in config.weekdays
        and not jpholiday.is_holiday(day)
        and (day.month, day.day) not in config.closed_days
    )


def business_days(start: date, count: int, config: WindowConfig | None = None) -> list[date]:
    """The first `count` business days on or after `start`."""
    if count < 1:
        raise ValueError("a send window needs at least one business day")
    config = config or WindowConfig()
    days: list[date] = []
    day = start
    # A year holds far more than 200 business days; the bound only stops a config with no open day.
    for _ in range(count * 7 + 30):
        if is_business_day(day, config):
            days.append(day)
            if len(days) == count:
                return days
        day += timedelta(days=1)
    raise ValueError("no business day found: check the window configuration")


def send_intervals(
    start: date,
    days: int,
    config: WindowConfig | None = None,
    *,
    not_before: datetime | None = None,
) -> list[Interval]:
    """Office hours of the first `days` business days from `start` (a JST calendar date), in UTC.

    `not_before` (aware) trims what has already passed, e.g. when a drill is scheduled at 14:00
    for today; intervals that end up empty are dropped.
    """
    config = config or WindowConfig()
    if not_before is not None and not_before.tzinfo is None:
        raise ValueError("not_before must be timezone-aware")
    intervals: list[Interval] = []
    for day in business_days(start, days, config):
        opens = datetime.combine(day, config.opens, tzinfo=JST).astimezone(UTC)
        closes = datetime.combine(day, config.closes, tzinfo=JST).astimezone(UTC)
        if not_before is not None:
            opens = max(opens, not_before.astimezone(UTC))
        if opens < closes:
            intervals.append(Interval(opens, closes))
    return intervals


def assign_send_times(
    participants: Sequence[T],
    intervals: Sequence[Interval],
    rng: random.Random,
    *,
    min_spacing: timedelta = timedelta(minutes=2),
) -> list[tuple[T, datetime]]:
    """Give each participant a random send time inside the window, any two at least
    `min_spacing` apart, so an office never receives all its drill mails in the same second
    (and a mail filter does not see a burst). Returned in the participants' order, UTC,
    whole seconds.

    The times are drawn uniformly among all spaced-out placements: pick n offsets in the window
    shortened by (n - 1) spacings, sort them, push the i-th one i spacings later. Offsets live on
    the working seconds laid end to end; mapping back to the calendar only widens the gaps.
    """
    count = len(participants)
    if count == 0:
        return []
    spacing = int(min_spacing.total_seconds())
    if spacing < 0:
        raise ValueError("min_spacing must not be negative")
    spans = sorted(intervals, key=lambda interval: interval.start)
    for earlier, later in itertools.pairwise(spans):
        if later.start < earlier.end:
            raise ValueError("send intervals must not overlap")
    starts = [_whole_second(interval.start) for interval in spans]
    ends = [interval.end for interval in spans]
    lengths = [max(0, int((end - begin).total_seconds())) for begin, end in zip(starts, ends, strict=True)]
    room = sum(lengths) - (count - 1) * spacing
    if room <= 0:
        raise ValueError(f"the window is too short for {count} mails {spacing} s apart")
    offsets = sorted(rng.randrange(room) for _ in range(count))
    instants = [_at_offset(starts, lengths, offset + i * spacing) for i, offset in enumerate(offsets)]
    rng.shuffle(instants)
    return list(zip(participants, instants, strict=True))


def _whole_second(instant: datetime) -> datetime:
    """Round up, so a time drawn from the interval never falls before its start."""
    if instant.microsecond:
        instant += timedelta(microseconds=1_000_000 - instant.microsecond)
    return instant.astimezone(UTC)


def _at_offset(starts: Sequence[datetime], lengths: Sequence[int], offset: int) -> datetime:
    for start, length in zip(starts, lengths, strict=True):
        if offset < length:
            return start + timedelta(seconds=offset)
        offset -= length
    raise AssertionError("offset beyond the window")  # unreachable: offsets stay below the total
