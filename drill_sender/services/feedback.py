"""Chamber feedback (商工会議所へのフィードバック): per chamber and period, the companies that took
part in a drill (company, office, prefecture, member or not, date, participants, completed or not),
as CSV and HTML, mailed to the chamber's contact from `content/chambers.yml` on request, signed by
the chamber's branch (`content/branches.yml`), to which the chamber's replies go.

Only what the applicant agreed to share (the consent text names the co-organisers) and no result
of any person: the chamber learns who took part, not how anyone did.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path

import jinja2

from campaign_core import content
from campaign_core.choices import MEMBER, label
from campaign_core.content import Branch, Chamber
from campaign_core.csvsafe import safe_cell
from campaign_core.deps import Deps
from campaign_core.form_records import DrillApplication
from campaign_core.jst import day_text
from campaign_core.records import APPLICATION, CHAMBER_DRILL, DRILL, MESSAGE, chamber_prefix
from drill_sender.services.mails import service_mail

PAGE_DIR = Path(__file__).resolve().parent.parent
CSV_HEADER = ("会社名", "事業所名", "都道府県", "会員", "訓練開始日", "参加人数", "状況")


class UnknownChamber(LookupError):
    pass


@dataclass(frozen=True)
class FeedbackRow:
    company: str
    office: str
    prefecture: str
    member: str  # the label: 会員 / 非会員 / わからない
    started: date
    participants: int
    completed: bool


@dataclass(frozen=True)
class Feedback:
    chamber: Chamber
    start: date | None
    end: date | None
    rows: tuple[FeedbackRow, ...]
    generated_at: datetime
    branch: Branch | None = None  # who signs the mail and takes the replies


def find_chamber(deps: Deps, wanted: str) -> Chamber:
    """A chamber by its code or its name, as listed in `content/chambers.yml`."""
    for chamber in content.chambers(deps.settings.content_dir):
        if wanted.strip().lower() in (chamber.code.lower(), chamber.name.lower()):
            return chamber
    raise UnknownChamber(wanted)


def chambers_of(deps: Deps, branch: Branch) -> tuple[Chamber, ...]:
    """The chambers a branch looks after (their `branch` in chambers.yml), in the file's order."""
    return tuple(c for c in content.chambers(deps.settings.content_dir) if c.branch == branch.code)


def build_feedback(deps: Deps, chamber: Chamber, *, start: date | None, end: date | None) -> Feedback:
    """Drills of the chamber's companies whose window started within [start, end] (JST dates):
    the chamber's listing (one range read), then each drill's application and mails by key."""
    rows = []
    for entry in deps.store.with_prefix(CHAMBER_DRILL, chamber_prefix(chamber.code)):
        started = date.fromisoformat(str(entry.data["started"]))
        if (start and started < start) or (end and started > end):
            continue
        application_id = str(entry.data["application_id"])
        record = deps.store.get(APPLICATION, application_id)
        if record is None or deps.store.get(DRILL, application_id) is None:
            continue
        states = [
            str(m.data.get("state"))
            for m in deps.store.by_application(MESSAGE, application_id)
            if m.data.get("purpose") == "drill"
        ]
        application = DrillApplication.from_record(record)
        rows.append(
            FeedbackRow(
                company=application.company,
                office=application.office,
                prefecture=application.prefecture,
                member=label(MEMBER, application.member),
                started=started,
                participants=sum(1 for state in states if state == "sent"),
                completed=bool(states) and all(state in ("sent", "failed") for state in states),
            )
        )
    rows.sort(key=lambda r: (r.started, r.company))
    branch = content.branch_of(deps.settings.content_dir, chamber)
    return Feedback(chamber, start, end, tuple(rows), deps.now(), branch)


def _date(value: date | None) -> str:
    return day_text(value, weekday=False) if value else ""


def render_csv(feedback: Feedback) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in feedback.rows:
        cells = (
            row.company,
            row.office,
            row.prefecture,
            row.member,
            row.started.isoformat(),
            row.participants,
            "完了" if row.completed else "実施中",
        )
        writer.writerow([safe_cell(cell) for cell in cells])
    return buffer.getvalue().encode("utf-8-sig")


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(PAGE_DIR)), autoescape=True, undefined=jinja2.StrictUndefined
    )
    env.filters["date"] = _date
    return env


def render_html(feedback: Feedback) -> str:
    return _environment().get_template("feedback.html").render(f=feedback)


def send_feedback(deps: Deps, feedback: Feedback) -> str:
    """Mail the list to the chamber's contact, the CSV attached; replies go to its branch."""
    if not feedback.chamber.contact_email:
        raise ValueError(f"{feedback.chamber.name} has no contact_email in content/chambers.yml")
    filename = f"drill-feedback-{feedback.chamber.code}.csv"
    message = service_mail(
        deps,
        "chamber_feedback",
        to=feedback.chamber.contact_email,
        values={"f": feedback, "period": _period(feedback)},
        attachments=[(filename, render_csv(feedback), "text/csv; charset=utf-8")],
        headers={"Reply-To": feedback.branch.contact.email} if feedback.branch else None,
    )
    return deps.mailer.send(message)


def _period(feedback: Feedback) -> str:
    if feedback.start and feedback.end:
        return f"{_date(feedback.start)}〜{_date(feedback.end)}"
    if feedback.start:
        return f"{_date(feedback.start)}以降"
    if feedback.end:
        return f"{_date(feedback.end)}まで"
    return "これまで"
