"""HQ's dashboard: how the campaign goes, in numbers that name nobody.

`load_rows` reads every record the numbers need (one query per kind); `build_stats` turns them into
`Stats`; `hq.stats_output` shows them (HTML page, CSV, terminal lines).

No row is about one company. Breakdowns (chamber, prefecture, month, variant) with fewer than
`MIN_GROUP` companies are folded into "other" or shown as "fewer than 5".
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from campaign_core.clock import JST
from campaign_core.drill_records import Drill, DrillCheck, DrillEvent, DrillMessage, DrillNotice
from campaign_core.form_records import DrillApplication, OneshotRequest, SeminarSignup
from campaign_core.machine import MachineRules, classify
from campaign_core.normalize import company_key
from campaign_core.records import APPLICATION, CHECK, DRILL, EVENT, MESSAGE, NOTICE, ONESHOT, SIGNUP
from campaign_core.settings import MachineSettings
from campaign_core.store import Record, Store
from drill_sender.templates import load_template
from hq.retention import parse_time

MIN_GROUP = 5
OTHER = "その他(5社未満の区分の合計)"
VARIANT_LABELS = {"obvious": "見抜きやすい文面", "subtle": "見抜きにくい文面"}
MEMBER_LABELS = {"member": "会員", "non_member": "非会員", "unknown": "わからない"}
KINDS = (APPLICATION, SIGNUP, ONESHOT, DRILL, MESSAGE, EVENT, CHECK, NOTICE)


@dataclass(frozen=True)
class Rows:
    by_kind: Mapping[str, Sequence[Record]]

    def __getitem__(self, kind: str) -> Sequence[Record]:
        return self.by_kind.get(kind, ())

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.by_kind.values())


def load_rows(store: Store) -> Rows:
    return Rows({kind: store.query(kind) for kind in KINDS})


@dataclass(frozen=True)
class Week:
    monday: date
    seminar: int
    drill: int
    oneshot: int

    @property
    def total(self) -> int:
        return self.seminar + self.drill + self.oneshot


@dataclass(frozen=True)
class Outcome:
    """Reporting of one group of drills (a month, a variant); `shown` False below MIN_GROUP."""

    label: str
    drills: int
    sent: int
    reported: int
    clicked: int
    median_minutes: float | None

    @property
    def shown(self) -> bool:
        return self.drills >= MIN_GROUP

    def rate(self, part: int) -> float | None:
        return part / self.sent if self.sent else None


@dataclass(frozen=True)
class Stats:
    start: date | None
    end: date | None
    generated_at: datetime
    weeks: tuple[Week, ...]
    confirmation: Mapping[str, Mapping[str, int]]  # "drill" / "oneshot" -> confirmed, expired, waiting
    by_chamber: tuple[tuple[str, int], ...]
    by_prefecture: tuple[tuple[str, int], ...]
    membership: Mapping[str, int]  # companies by member / non_member / unknown
    funnel: tuple[tuple[str, int], ...]
    months: tuple[Outcome, ...]
    variants: tuple[Outcome, ...]

    @property
    def totals(self) -> dict[str, int]:
        return {
            "seminar": sum(w.seminar for w in self.weeks),
            "drill": sum(w.drill for w in self.weeks),
            "oneshot": sum(w.oneshot for w in self.weeks),
        }


def _local_day(value: Any) -> date | None:
    instant = parse_time(value)
    return instant.astimezone(JST).date() if instant else None


def _week(value: Any, start: date | None, end: date | None) -> date | None:
    """The Monday of the week of a time (JST), or None when it is missing or outside the range."""
    day = _local_day(value)
    if day is None or (start is not None and day < start) or (end is not None and day > end):
        return None
    return day - timedelta(days=day.weekday())


def _fold(counts: Counter[str]) -> tuple[tuple[str, int], ...]:
    """Groups of MIN_GROUP companies or more by name, largest first; the rest summed as OTHER."""
    shown = sorted(((k, v) for k, v in counts.items() if v >= MIN_GROUP), key=lambda kv: (-kv[1], kv[0]))
    rest = sum(v for v in counts.values() if v < MIN_GROUP)
    return (*shown, (OTHER, rest)) if rest else tuple(shown)


@cache
def _links(month: int, variant: str) -> tuple[str, ...]:

    return tuple(load_template(month, variant).links)


@dataclass
class _Group:
    drills: set[str]
    sent: int = 0
    reported: int = 0
    clicked: int = 0

    def __post_init__(self) -> None:
        self.minutes: list[float] = []


def _outcome(label: str, group: _Group) -> Outcome:
    return Outcome(
        label=label,
        drills=len(group.drills),
        sent=group.sent,
        reported=group.reported,
        clicked=group.clicked,
        median_minutes=statistics.median(group.minutes) if group.minutes else None,
    )


def _in_weeks(
    records: Iterable[Record],
    at: str,
    kind: str,
    weekly: dict[date, Counter[str]],
    start: date | None,
    end: date | None,
) -> Iterator[Record]:
    """The records whose time `at` falls in the period, each counted in its week under `kind`."""
    for record in records:
        monday = _week(record.data.get(at), start, end)
        if monday is not None:
            weekly[monday][kind] += 1
            yield record


def _confirmation(confirmed: bool, deadline: datetime | None, now: datetime) -> str:
    """Where a request stands: confirmed, past its deadline unconfirmed, or still waiting."""
    if confirmed:
        return "confirmed"
    return "expired" if deadline is not None and deadline < now else "waiting"


def build_stats(
    rows: Rows,
    now: datetime,
    *,
    start: date | None = None,
    end: date | None = None,
    machine: MachineSettings | None = None,
) -> Stats:

    # Applications per week, and how many were confirmed.
    weekly: dict[date, Counter[str]] = defaultdict(Counter)
    confirmation = {
        kind: Counter({"confirmed": 0, "expired": 0, "waiting": 0}) for kind in ("drill", "oneshot")
    }
    seminar_companies: set[str] = set()
    membership: dict[str, str] = {}
    for record in _in_weeks(rows[SIGNUP], "signed_up_at", "seminar", weekly, start, end):
        signup = SeminarSignup.from_record(record)
        company = company_key(signup.company) or signup.key
        seminar_companies.add(company)
        membership.setdefault(company, signup.member or "unknown")
    accepted: dict[str, Record] = {}
    chambers: Counter[str] = Counter()
    prefectures: Counter[str] = Counter()
    drill_companies: dict[str, str] = {}
    for application in _in_weeks(rows[APPLICATION], "applied_at", "drill", weekly, start, end):
        typed = DrillApplication.from_record(application)
        confirmed = typed.status == "accepted"
        confirmation["drill"][_confirmation(confirmed, typed.confirm_by, now)] += 1
        if confirmed:
            accepted[application.key] = application
            chambers[str(typed.chamber.get("name") or "選択なし")] += 1
            prefectures[typed.prefecture or "不明"] += 1
            company = company_key(typed.company) or application.key
            drill_companies[application.key] = company
            membership[company] = typed.member or "unknown"
    for record in _in_weeks(rows[ONESHOT], "requested_at", "oneshot", weekly, start, end):
        request = OneshotRequest.from_record(record)
        confirmed = request.status == "confirmed"
        confirmation["oneshot"][_confirmation(confirmed, request.expires_at, now)] += 1

    # Drill outcomes: per participant sent, reported (and how fast), clicked by a person.
    checks = {c.key: DrillCheck.from_record(c) for c in rows[CHECK]}
    drills = {d.key: Drill.from_record(d) for d in rows[DRILL] if d.key in accepted}
    messages_by_drill: dict[str, list[DrillMessage]] = defaultdict(list)
    for message in map(DrillMessage.from_record, rows[MESSAGE]):
        # A mail stored without a purpose (none is written so now) counted as drill mail.
        if message.application_id in drills and message.purpose in ("drill", ""):
            messages_by_drill[message.application_id].append(message)
    events_by_drill: dict[str, list[DrillEvent]] = defaultdict(list)
    for event in map(DrillEvent.from_record, rows[EVENT]):
        if event.application_id in drills and event.type == "click":
            events_by_drill[event.application_id].append(event)
    followed_up = {
        n.application_id
        for n in map(DrillNotice.from_record, rows[NOTICE])
        if n.purpose == "followup" and n.state == "sent"
    }
    rules = MachineRules.from_settings(machine or MachineSettings())
    months: dict[str, _Group] = defaultdict(lambda: _Group(set()))
    variants: dict[str, _Group] = defaultdict(lambda: _Group(set()))
    reported_drills: set[str] = set()
    for app_id, drill in drills.items():
        messages = messages_by_drill.get(app_id, [])
        sent = [m for m in messages if m.sent_at]
        if not sent:
            continue
        links = {m.key: _links(m.month, m.variant) for m in sent}
        clicked = {
            c.event.message
            for c in classify(events_by_drill.get(app_id, []), {m.key: m for m in sent}, links, rules)
            if not c.machine
        }
        window = drill.window_start
        month = window.astimezone(JST).strftime("%Y-%m") if window else "不明"
        groups = (months[month], variants[drill.variant])
        for group in groups:
            group.drills.add(app_id)
        for message in sent:
            check = checks.get(message.key)
            reported_at = check.report_time() if check is not None else None  # as the report has it
            sent_at = message.sent_at
            for group in groups:
                group.sent += 1
                group.clicked += message.key in clicked
                if reported_at is not None:
                    group.reported += 1
                    if sent_at is not None and reported_at >= sent_at:
                        group.minutes.append((reported_at - sent_at).total_seconds() / 60)
            if reported_at is not None:
                reported_drills.add(app_id)

    drill_company_set = set(drill_companies.values())
    funnel_seminar = seminar_companies
    funnel_drill = funnel_seminar & drill_company_set
    funnel_reported = funnel_drill & {drill_companies[a] for a in reported_drills}
    funnel_followed = funnel_reported & {drill_companies[a] for a in followed_up if a in drill_companies}
    member_counts = Counter(membership.values())
    return Stats(
        start=start,
        end=end,
        generated_at=now,
        weeks=tuple(
            Week(monday, c["seminar"], c["drill"], c["oneshot"]) for monday, c in sorted(weekly.items())
        ),
        confirmation={kind: dict(counts) for kind, counts in confirmation.items()},
        by_chamber=_fold(chambers),
        by_prefecture=_fold(prefectures),
        membership={key: member_counts.get(key, 0) for key in MEMBER_LABELS},
        funnel=(
            ("セミナーに参加した会社", len(funnel_seminar)),
            ("そのうち訓練を受けた会社", len(funnel_drill)),
            ("そのうち報告があった会社", len(funnel_reported)),
            ("そのうちフォローアップを送った会社", len(funnel_followed)),
        ),
        months=tuple(_outcome(label, group) for label, group in sorted(months.items())),
        variants=tuple(
            _outcome(VARIANT_LABELS.get(key, key), variants[key]) for key in VARIANT_LABELS if key in variants
        ),
    )


# -- output ----------------------------------------------------------------------------------------
