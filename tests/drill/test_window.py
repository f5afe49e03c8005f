"""The send window: JST business hours on business days (real holidays, 年末年始), and spaced-out
random send times inside it."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime, time, timedelta

import jpholiday
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaign_core.clock import JST
from drill_sender.window import (
    Interval,
    WindowConfig,
    assign_send_times,
    business_days,
    is_business_day,
    send_intervals,
)


def rng(seed: int) -> random.Random:
    # Seeded on purpose: a send plan must be reproducible in tests; nothing here is secret.
    return random.Random(seed)  # noqa: S311


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        # 2026-11-23 (Mon) is 勤労感謝の日: skipped along with the weekend.
        ("2026-11-20", 3, ["2026-11-20", "2026-11-24", "2026-11-25"]),
        # 2027-01-11 (Mon) is 成人の日.
        ("2027-01-08", 2, ["2027-01-08", "2027-01-12"]),
        # 年末年始: 12/29 to 1/3 are closed even on weekdays (12/29-12/31/2026 are Tue-Thu).
        ("2026-12-28", 2, ["2026-12-28", "2027-01-04"]),
        ("2026-12-29", 1, ["2027-01-04"]),
        # A start on a Saturday moves to the next business day.
        ("2026-12-26", 1, ["2026-12-28"]),
        # 2026-05-06 (Wed) is a 振替休日 for 憲法記念日 on a Sunday.
        ("2026-05-01", 2, ["2026-05-01", "2026-05-07"]),
        # 2026 silver week: 敬老の日, 国民の休日, 秋分の日 in a row.
        ("2026-09-18", 2, ["2026-09-18", "2026-09-24"]),
        # Golden week 2027: 昭和の日 on Thursday, then 5/3-5/5.
        ("2027-04-29", 3, ["2027-04-30", "2027-05-06", "2027-05-07"]),
        # An ordinary week.
        ("2026-06-08", 5, ["2026-06-08", "2026-06-09", "2026-06-10", "2026-06-11", "2026-06-12"]),
    ],
)
def test_business_days_skip_weekends_holidays_and_year_end(
    start: str, count: int, expected: list[str]
) -> None:
    assert business_days(d(start), count) == [d(day) for day in expected]


@pytest.mark.parametrize(
    ("day", "open_"),
    [
        ("2026-11-23", False),  # 勤労感謝の日
        ("2027-01-11", False),  # 成人の日
        ("2026-12-29", False),  # 年末
        ("2027-01-03", False),  # 年始 (a Sunday anyway)
        ("2027-01-04", True),  # first business day of the year
        ("2026-11-28", False),  # Saturday
        ("2026-11-27", True),  # an ordinary Friday
    ],
)
def test_is_business_day(day: str, open_: bool) -> None:
    assert is_business_day(d(day)) is open_


def test_intervals_are_office_hours_in_jst_held_as_utc() -> None:
    intervals = send_intervals(d("2026-11-20"), 3)
    assert [interval.start_jst.date() for interval in intervals] == [
        d("2026-11-20"),
        d("2026-11-24"),
        d("2026-11-25"),
    ]
    for interval in intervals:
        assert interval.start.utcoffset() == timedelta(0)
        assert interval.end.utcoffset() == timedelta(0)
        assert interval.start_jst.utcoffset() == timedelta(hours=9)
        assert interval.start_jst.time() == time(9, 0)
        assert interval.end_jst.time() == time(17, 0)
    # 9:00 JST is 0:00 UTC on the same day.
    assert intervals[0].start == datetime(2026, 11, 20, 0, 0, tzinfo=UTC)


def test_configured_hours_and_weekdays_are_honoured() -> None:
    saturday_shop = WindowConfig(opens=time(10, 0), closes=time(15, 30), weekdays=frozenset(range(6)))
    intervals = send_intervals(d("2026-11-27"), 2, saturday_shop)
    assert [(i.start_jst.isoformat(), i.end_jst.isoformat()) for i in intervals] == [
        ("2026-11-27T10:00:00+09:00", "2026-11-27T15:30:00+09:00"),
        ("2026-11-28T10:00:00+09:00", "2026-11-28T15:30:00+09:00"),
    ]


@pytest.mark.parametrize(
    "bad",
    [
        {"opens": time(17, 0), "closes": time(9, 0)},
        {"weekdays": frozenset()},
        {"weekdays": frozenset({7})},
        {"opens": time(9, 0, tzinfo=UTC)},
    ],
)
def test_impossible_configurations_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        WindowConfig(**bad)  # type: ignore[arg-type]


def test_not_before_trims_today_and_drops_what_has_passed() -> None:
    # Scheduled on Friday 2026-11-27 at 14:30 JST for a 3-day window starting the day before.
    now = datetime(2026, 11, 27, 14, 30, tzinfo=JST)
    intervals = send_intervals(d("2026-11-26"), 3, not_before=now)
    assert [(i.start_jst.isoformat(), i.end_jst.isoformat()) for i in intervals] == [
        ("2026-11-27T14:30:00+09:00", "2026-11-27T17:00:00+09:00"),
        ("2026-11-30T09:00:00+09:00", "2026-11-30T17:00:00+09:00"),
    ]


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        send_intervals(d("2026-11-27"), 1, not_before=datetime(2026, 11, 27, 10, 0))


def _check_spread(times: list[datetime], intervals: list[Interval], spacing: timedelta) -> None:
    for instant in times:
        assert instant.tzinfo is not None and instant.utcoffset() == timedelta(0)
        assert any(instant in interval for interval in intervals), instant
        jst = instant.astimezone(JST)
        assert time(9, 0) <= jst.time() < time(17, 0)
    ordered = sorted(times)
    for earlier, later in itertools.pairwise(ordered):
        assert later - earlier >= spacing


@pytest.mark.parametrize("seed", range(40))
def test_every_participant_gets_a_time_inside_the_window_with_spacing(seed: int) -> None:
    intervals = send_intervals(d("2026-11-20"), 3)
    people = [f"p{i}@example.co.jp" for i in range(10)]
    spacing = timedelta(minutes=5)
    assigned = assign_send_times(people, intervals, rng(seed), min_spacing=spacing)
    assert [person for person, _ in assigned] == people
    _check_spread([instant for _, instant in assigned], intervals, spacing)


def test_a_tight_window_still_honours_the_spacing() -> None:
    # Ten mails, one minute apart, in a window of exactly nine minutes and one second.
    start = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
    window = [Interval(start, start + timedelta(minutes=9, seconds=1))]
    for seed in range(20):
        times = [
            t for _, t in assign_send_times(range(10), window, rng(seed), min_spacing=timedelta(minutes=1))
        ]
        # Only one placement fits: one mail a minute from the start.
        assert sorted(times) == [start + timedelta(minutes=i) for i in range(10)]


def test_times_never_fall_before_a_start_with_microseconds() -> None:
    start = datetime(2026, 11, 27, 5, 0, 0, 600_000, tzinfo=UTC)
    window = [Interval(start, start + timedelta(seconds=3))]
    for seed in range(30):
        [(_, instant)] = assign_send_times(["only"], window, rng(seed))
        assert start <= instant < window[0].end


def test_a_window_too_short_for_the_spacing_is_refused() -> None:
    start = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
    window = [Interval(start, start + timedelta(minutes=5))]
    with pytest.raises(ValueError, match="too short"):
        assign_send_times(range(10), window, rng(1), min_spacing=timedelta(minutes=1))


def test_the_same_seed_gives_the_same_plan_and_another_seed_another() -> None:
    intervals = send_intervals(d("2027-01-08"), 2)
    people = list(range(8))
    first = assign_send_times(people, intervals, rng(7))
    assert assign_send_times(people, intervals, rng(7)) == first
    assert assign_send_times(people, intervals, rng(8)) != first


def test_mails_are_spread_over_all_days_of_the_window() -> None:
    intervals = send_intervals(d("2026-11-20"), 3)
    days_seen: set[date] = set()
    for seed in range(10):
        for _, instant in assign_send_times(range(10), intervals, rng(seed)):
            days_seen.add(instant.astimezone(JST).date())
    assert days_seen == {d("2026-11-20"), d("2026-11-24"), d("2026-11-25")}


def test_no_participants_means_no_times() -> None:
    assert assign_send_times([], send_intervals(d("2026-11-20"), 1), rng(0)) == []


def test_overlapping_intervals_are_refused() -> None:
    start = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
    window = [
        Interval(start, start + timedelta(hours=2)),
        Interval(start + timedelta(hours=1), start + timedelta(hours=3)),
    ]
    with pytest.raises(ValueError, match="overlap"):
        assign_send_times(range(2), window, rng(0))


@settings(max_examples=150, deadline=None)
@given(
    start=st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31)),
    days=st.integers(min_value=1, max_value=5),
    count=st.integers(min_value=1, max_value=10),
    spacing_minutes=st.integers(min_value=0, max_value=30),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_any_plan_stays_in_business_hours_of_business_days_with_spacing(
    start: date, days: int, count: int, spacing_minutes: int, seed: int
) -> None:
    intervals = send_intervals(start, days)
    assert len(intervals) == days
    spacing = timedelta(minutes=spacing_minutes)
    assigned = assign_send_times(list(range(count)), intervals, rng(seed), min_spacing=spacing)
    times = [instant for _, instant in assigned]
    _check_spread(times, intervals, spacing)
    for instant in times:
        day = instant.astimezone(JST).date()
        assert day >= start and is_business_day(day)
        assert (day.month, day.day) not in {(12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3)}
        assert not jpholiday.is_holiday(day) and day.weekday() < 5
