"""The drill report (訓練結果レポート) of one application: per participant whether and when they
opened, clicked and reported, the time from opening to reporting, the officer's notes; the headline
numbers (report rate and median time to report first, then open and click rates) beside the
campaign-wide average. HTML that prints on A4, and CSV for Excel.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from campaign_core.csvsafe import safe_cell
from campaign_core.deps import Deps
from campaign_core.drill_records import Drill, DrillCheck, DrillEvent, DrillMessage
from campaign_core.form_records import DrillApplication
from campaign_core.jst import jst_label, minutes_text
from campaign_core.machine import MachineRules
from campaign_core.records import APPLICATION, CHECK, DRILL, EVENT, MESSAGE
from drill_sender.services.campaign_average import Figures, campaign_figures
from drill_sender.services.checksheet import ACTION_LABELS
from drill_sender.services.drill_links import DrillLink
from drill_sender.services.learn import learn_url
from drill_sender.services.tracking import summarise
from drill_sender.templates import DrillTemplate, load_template

REPORT_PURPOSE = "report"
REPORT_MAX_AGE = timedelta(days=90)
OPENED_BY_ACTION = {"reported_after_open", "reported_after_click", "opened_no_report", "clicked_no_report"}
UNOPENED_BY_ACTION = {"reported_unopened"}
PAGE_DIR = Path(__file__).resolve().parent.parent


@cache
def _template(month: int, variant: str) -> DrillTemplate:
    return load_template(month, variant)


def _links(message: DrillMessage) -> tuple[str, ...]:
    return _template(message.month, message.variant).links


@dataclass(frozen=True)
class Row:
    email: str
    opened: str  # "yes" | "no" | "unknown"
    opened_at: datetime | None
    clicked_at: datetime | None
    reported_at: datetime | None
    minutes_to_report: int | None  # from opening (or, when no open was seen, from delivery)
    action: str
    notes: str
    sent_at: datetime | None


@dataclass(frozen=True)
class Rates:
    sent: int
    reported: int
    opened: int
    clicked: int
    median_minutes: float | None

    def rate(self, part: int) -> float | None:
        return part / self.sent if self.sent else None


@dataclass(frozen=True)
class DrillReport:
    application_id: str
    company: str
    office: str
    template: DrillTemplate
    learn_url: str  # the drill's mail and its clues, by a signed link (never on the public site)
    window_start: datetime
    window_end: datetime
    rows: tuple[Row, ...]
    rates: Rates
    campaign: Rates  # the fiscal year's closed drills and this one (`campaign_average`); no one named
    campaign_drills: int
    generated_at: datetime
    member: str = ""  # the application's answer (member / non_member / unknown): members get no offer


def _opened(activity_open: datetime | None, action: str) -> str:
    if activity_open is not None or action in OPENED_BY_ACTION:
        return "yes"
    if action in UNOPENED_BY_ACTION:
        return "no"
    return "unknown"  # open tracking can miss: images blocked, a security product, plain-text reading


def _rows(
    messages: Sequence[DrillMessage],
    events: Sequence[DrillEvent],
    checks: Mapping[str, DrillCheck],
    rules: MachineRules,
) -> list[Row]:
    counts = summarise(messages, {m.key: _links(m) for m in messages}, events, rules)
    rows = []
    for activity in counts.messages:
        check = checks.get(activity.key) or DrillCheck(key=activity.key)
        action = check.action
        reported_at = check.report_time()  # the officer's time, or the participant's own report
        start = activity.first_open or activity.sent_at
        minutes = None
        if reported_at is not None and start is not None and reported_at >= start:
            minutes = int((reported_at - start).total_seconds() // 60)
        rows.append(
            Row(
                email=activity.email,
                opened=_opened(activity.first_open, action),
                opened_at=activity.first_open,
                clicked_at=activity.first_click,
                reported_at=reported_at,
                minutes_to_report=minutes,
                action=action,
                notes=check.notes,
                sent_at=activity.sent_at,
            )
        )
    return sorted(rows, key=lambda r: r.email)


def _rates(rows: Iterable[Row]) -> Rates:
    sent = [r for r in rows if r.sent_at is not None]
    minutes = [r.minutes_to_report for r in sent if r.minutes_to_report is not None]
    return Rates(
        sent=len(sent),
        reported=sum(1 for r in sent if r.reported_at is not None),
        opened=sum(1 for r in sent if r.opened == "yes"),
        clicked=sum(1 for r in sent if r.clicked_at is not None),
        median_minutes=statistics.median(minutes) if minutes else None,
    )


def _figures(rows: Sequence[Row]) -> Figures:
    """What this drill adds to the campaign's sums (`campaign_average`)."""
    rates = _rates(rows)
    minutes = Counter(r.minutes_to_report for r in rows if r.sent_at and r.minutes_to_report is not None)
    return Figures(
        drills=1 if rates.sent else 0,
        sent=rates.sent,
        reported=rates.reported,
        opened=rates.opened,
        clicked=rates.clicked,
        minutes=dict(minutes),
    )


def build_report(deps: Deps, application_id: str) -> DrillReport:
    """One application's report: its own records, read by application, beside the fiscal year's
    campaign figures (one summary record; building a closed drill's report counts it there)."""
    stored_drill = deps.store.get(DRILL, application_id)
    if stored_drill is None:
        raise KeyError(application_id)
    drill = Drill.from_record(stored_drill)
    window_start, window_end = drill.window()
    rules = MachineRules.from_settings(deps.settings.machine)
    stored = deps.store.by_application(MESSAGE, application_id)
    messages = [m for m in map(DrillMessage.from_record, stored) if m.purpose == "drill"]
    events = [
        e
        for e in map(DrillEvent.from_record, deps.store.by_application(EVENT, application_id))
        if e.purpose == "drill"
    ]
    checks = {r.key: DrillCheck.from_record(r) for r in deps.store.by_application(CHECK, application_id)}
    mine = _rows(messages, events, checks, rules)
    closed = deps.now() >= window_end
    campaign = campaign_figures(deps, drill, _figures(mine), closed=closed)
    record = deps.store.get(APPLICATION, application_id)
    application = DrillApplication.from_record(record) if record is not None else DrillApplication(key="")
    return DrillReport(
        application_id=application_id,
        company=drill.company,
        office=application.office,
        template=_template(drill.month, drill.variant),
        learn_url=learn_url(deps, application=application_id),
        window_start=window_start,
        window_end=window_end,
        rows=tuple(mine),
        rates=_rates(mine),
        campaign=Rates(
            campaign.sent, campaign.reported, campaign.opened, campaign.clicked, campaign.median_minutes()
        ),
        campaign_drills=campaign.drills,
        generated_at=deps.now(),
        member=application.member,
    )


REPORT_LINK = DrillLink(REPORT_PURPOSE, "/t/report", REPORT_MAX_AGE)
report_url = REPORT_LINK.url
application_of = REPORT_LINK.application_of


# -- output ----------------------------------------------------------------------------------------


def jst_text(instant: datetime | None) -> str:
    if instant is None:
        return ""
    return jst_label(instant, year=False)


def percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "-"


OPENED_LABELS = {"yes": "あり", "no": "なし", "unknown": "不明"}


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(PAGE_DIR)), autoescape=True, undefined=jinja2.StrictUndefined
    )
    env.filters.update(jst=jst_text, minutes=minutes_text)
    env.globals.update(percent=percent, opened_labels=OPENED_LABELS, action_labels=ACTION_LABELS)
    return env


def render_html(
    report: DrillReport,
    *,
    site_url: str,
    csv_url: str | None = None,
    membership: Mapping[str, Any] | None = None,
) -> str:
    """A standalone page (inline styles, nothing loaded from elsewhere) that prints on A4.

    `membership` (`Deps.membership_values()`) adds the membership offer for non-members."""
    return (
        _environment()
        .get_template("report.html")
        .render(r=report, site=site_url.rstrip("/"), csv_url=csv_url, offer=membership or {})
    )


CSV_HEADER = (
    "参加者",
    "開封",
    "開封時刻",
    "リンクを開いた時刻",
    "報告時刻",
    "報告までの時間(分)",
    "適切な動作",
    "備考",
)


def render_csv(report: DrillReport) -> bytes:
    """UTF-8 with a byte order mark, so Excel opens the Japanese text as it is."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in report.rows:
        writer.writerow(
            [
                safe_cell(cell)
                for cell in (
                    row.email,
                    OPENED_LABELS[row.opened],
                    jst_text(row.opened_at),
                    jst_text(row.clicked_at),
                    jst_text(row.reported_at),
                    "" if row.minutes_to_report is None else row.minutes_to_report,
                    ACTION_LABELS.get(row.action, ""),
                    row.notes,
                )
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")
