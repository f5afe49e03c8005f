"""`campaign`: the staff command of branch staff (支部) and HQ for drill runs.

    campaign applications [--status accepted] [--chamber sapporo] [--json]
    campaign schedule APPLICATION_ID [--start 2026-12-01] [--days 3] [--month 2026-12] [--variant subtle]
    campaign send-due [--dry-run]
    campaign show APPLICATION_ID [--json]
    campaign sheet APPLICATION_ID
    campaign report APPLICATION_ID [--format html|csv] [--output FILE] [--send]
    campaign feedback CHAMBER [--from DATE] [--to DATE] [--format html|csv] [--output FILE] [--send]
    campaign maintenance on|off [--message TEXT]
    campaign suppressed [--json]

`CAMPAIGN_NOW` (ISO 8601; without a zone, JST) pins "now", so staff can rehearse a whole drill.
Every command that reads or changes personal data writes an audit line (`campaign audit`): who
(`CAMPAIGN_STAFF`, else the OS user), when, which command and what it touched, as ids and counts.
Exit codes: 0 done, 1 refused or failed (the message says why), 2 wrong usage.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NoReturn

import click
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from campaign_core.clock import JST, Clock, clock_from_env, parse_iso
from campaign_core.deps import Deps
from campaign_core.mail import Mailer, MailError, create_mailer
from campaign_core.records import APPLICATION, DRILL, MESSAGE, mailable_participants
from campaign_core.settings import Settings, load_settings
from campaign_core.store import Record, Store, create_store
from campaign_core.suppression import suppressed_addresses
from cli.hq import HQ_COMMANDS
from drill_sender.services.checksheet import sheet_url
from drill_sender.services.feedback import UnknownChamber, build_feedback, find_chamber, send_feedback
from drill_sender.services.feedback import render_csv as feedback_csv
from drill_sender.services.feedback import render_html as feedback_html
from drill_sender.services.notices import send_report_notice, send_schedule_notice
from drill_sender.services.report import build_report, render_csv, render_html, report_url
from drill_sender.services.schedule import ScheduleError, schedule, schedule_late
from drill_sender.services.send import Outcome, due_messages, send_due
from drill_sender.services.tracking import activity
from drill_sender.templates import VARIANTS
from form_lambda.services.common import maintenance_message, set_maintenance
from hq import audit

REPORT_TARGET = timedelta(days=14)
STAGES = ("pending", "expired", "accepted", "scheduled", "sent")
_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def staff_environ(environ: Mapping[str, str]) -> Mapping[str, str]:
    """Against DynamoDB (the campaign on AWS): the environment with the functions' signing key read
    from the SSM parameter `CAMPAIGN_SECRET_PARAMETER` names, so links staff mail (check sheets,
    reports) open on the site. Against SQLite: the environment as it is, and no AWS call."""
    if environ.get("CAMPAIGN_STORE", "sqlite") != "dynamodb":
        return environ
    from botocore.exceptions import BotoCoreError, ClientError

    from campaign_core.aws import SECRET_PARAMETER, environ_with_secret

    try:
        return environ_with_secret(environ)
    except (BotoCoreError, ClientError, RuntimeError) as exc:  # no access, no such parameter, no key in it
        name = environ.get(SECRET_PARAMETER, "")
        fail(f"could not read the signing key from the SSM parameter {name}: {exc}")


@dataclass
class Env:
    """What every subcommand needs, built on first use (no store is opened, no key read from SSM,
    for `--help`)."""

    environ: Mapping[str, str]
    clock: Clock
    _settings: Settings | None = None
    _store: Store | None = None
    _mailer: Mailer | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(staff_environ(self.environ))
            except ValueError as exc:  # a setting that does not parse: say which, no traceback
                fail(str(exc))
        return self._settings

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = create_store(self.settings)
        return self._store

    @property
    def mailer(self) -> Mailer:
        if self._mailer is None:
            self._mailer = create_mailer(self.settings)
        return self._mailer

    def deps(self) -> Deps:
        return Deps(store=self.store, mailer=self.mailer, clock=self.clock, settings=self.settings)

    def audit_line(self, command: str, details: Mapping[str, Any]) -> None:
        """The command's audit line: ids, filters and counts only, never an address or a name."""
        audit.record(self.store, self.clock, command, details)


def fail(text: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(text)}", soft_wrap=True)
    sys.exit(code)


def jst(value: Any) -> str:
    if not value:
        return "     -"
    instant = value if isinstance(value, datetime) else parse_iso(str(value))
    return instant.astimezone(JST).strftime("%Y-%m-%d %H:%M")


def _format(as_json: bool) -> str:
    return "json" if as_json else "table"


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Run the campaign's drills: list applications, schedule drill mail, send what is due,
    see a drill's progress, pause the forms.

    Settings come from the environment as for the server (CAMPAIGN_DATA_DIR, CAMPAIGN_STORE,
    CAMPAIGN_MAIL, ...). CAMPAIGN_NOW=2026-12-01T10:00 (JST unless a zone is given) makes that
    moment "now", to rehearse a drill from start to end.
    """
    try:
        clock = clock_from_env(os.environ)
    except ValueError as exc:
        raise click.UsageError(f"CAMPAIGN_NOW is not an ISO 8601 time: {exc}") from exc
    ctx.obj = Env(environ=dict(os.environ), clock=clock)


# -- applications -------------------------------------------------------------------------------


def _stage(application: Mapping[str, Any], messages: list[Record], now: datetime) -> str:
    status = application.get("status")
    if status == "pending":
        deadline = application.get("confirm_by")
        return "expired" if deadline and parse_iso(str(deadline)) <= now else "pending"
    if not application.get("drill_status"):
        return "accepted"
    if messages and all(m.data.get("state") in ("sent", "failed") for m in messages):
        return "sent"
    return "scheduled"


def _report_status(drill: Mapping[str, Any] | None) -> dict[str, str | None]:
    """The report is due two weeks after the last day of the send window (the campaign's target)."""
    if drill is None:
        return {"report_due": None, "report_sent_at": None}
    due = parse_iso(str(drill["window_end"])) + REPORT_TARGET
    return {"report_due": due.isoformat(), "report_sent_at": drill.get("report_sent_at")}


def _chamber_matches(application: Mapping[str, Any], wanted: str) -> bool:
    chamber = application.get("chamber") or {}
    return wanted.strip().lower() in {
        str(chamber.get("code", "")).lower(),
        str(chamber.get("name", "")).lower(),
    }


@cli.command()
@click.option(
    "--status", "statuses", multiple=True, type=click.Choice(STAGES), help="Only these stages (repeatable)."
)
@click.option("--chamber", help="Only this chamber of commerce (code, e.g. sapporo, or its name).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
def applications(env: Env, statuses: tuple[str, ...], chamber: str | None, as_json: bool) -> None:
    """List drill applications, newest first.

    Stages: pending (waiting for the officer's confirmation), expired (never confirmed),
    accepted (confirmed, not scheduled yet), scheduled (drill mail waiting or being sent),
    sent (every drill mail sent or failed).
    """
    now = env.clock.now()
    messages: dict[str, list[Record]] = {}
    for message in env.store.query(MESSAGE):
        messages.setdefault(str(message.data.get("application_id")), []).append(message)
    drills = {d.key: d.data for d in env.store.query(DRILL)}
    rows = []
    for record in env.store.query(APPLICATION):
        data = record.data
        stage = _stage(data, messages.get(record.key, []), now)
        if statuses and stage not in statuses:
            continue
        if chamber and not _chamber_matches(data, chamber):
            continue
        participants = data.get("participants", [])
        rows.append(
            {
                "id": record.key,
                "stage": stage,
                "company": data.get("company", ""),
                "office": data.get("office", ""),
                "prefecture": data.get("prefecture", ""),
                "chamber": (data.get("chamber") or {}).get("name", ""),
                "member": data.get("member", ""),
                "participants": len(participants),
                "confirmed_participants": len(mailable_participants(data)),
                "applied_at": data.get("applied_at", ""),
                "officer_email": data.get("officer_email", ""),
                **_report_status(drills.get(record.key)),
            }
        )
    rows.sort(key=lambda row: str(row["applied_at"]), reverse=True)
    env.audit_line(
        "applications",
        {"status": list(statuses), "chamber": chamber or "", "format": _format(as_json), "rows": len(rows)},
    )
    if as_json:
        emit_json(rows)
        return
    if not rows:
        out.print("No applications match.")
        return
    table = Table(title=f"Applications ({len(rows)})", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("id", no_wrap=True, min_width=32)  # staff copy it into `campaign schedule`
    table.add_column("stage", no_wrap=True)
    table.add_column("company", overflow="fold")
    table.add_column("chamber", overflow="fold")
    table.add_column("people", no_wrap=True)
    table.add_column("applied", no_wrap=True, min_width=10)
    table.add_column("report", no_wrap=True)
    for row in rows:
        table.add_row(
            str(row["id"]),
            str(row["stage"]),
            " ".join(str(part) for part in (row["company"], row["office"]) if part),
            str(row["chamber"]),
            f"{row['confirmed_participants']}/{row['participants']}",
            jst(row["applied_at"])[:10],
            _report_cell(row, now),
        )
    out.print(table)
    out.print("people = participants who may receive drill mail / all participants; report = due date (JST)")


def _report_cell(row: Mapping[str, Any], now: datetime) -> str:
    if row.get("report_sent_at"):
        return "sent"
    if not row.get("report_due"):
        return ""
    due = parse_iso(str(row["report_due"]))
    return f"[red]overdue {jst(due)[5:10]}[/]" if due < now else f"by {jst(due)[5:10]}"


# -- schedule -----------------------------------------------------------------------------------


def _parse_month(text: str | None) -> int | None:
    if text is None:
        return None
    matched = _MONTH.fullmatch(text.strip())
    if not matched:
        raise click.BadParameter("use YYYY-MM, e.g. 2026-12", param_hint="--month")
    return int(matched.group(2))


@cli.command(name="schedule")
@click.argument("application_id")
@click.option(
    "--start",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="First day of the send window (JST date, YYYY-MM-DD). Default: today.",
)
@click.option(
    "--days", type=click.IntRange(1, 20), default=3, show_default=True, help="Business days in the window."
)
@click.option(
    "--month", "month_text", metavar="YYYY-MM", help="Use this month's drill mail (default: the start's)."
)
@click.option(
    "--variant", type=click.Choice(VARIANTS), default="obvious", show_default=True, help="Template variant."
)
@click.option(
    "--late",
    is_flag=True,
    help="Add only the participants who confirmed after the drill was scheduled (same template).",
)
@click.option("--no-mail", is_flag=True, help="Do not mail the officer the window and check sheet link.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
def schedule_command(
    env: Env,
    application_id: str,
    start: datetime | None,
    days: int,
    month_text: str | None,
    variant: str,
    late: bool,
    no_mail: bool,
    as_json: bool,
) -> None:
    """Schedule the drill of an accepted application.

    Each participant who may receive drill mail (in the officer's domain, or confirmed by their own
    link) gets one message at a random time in business hours (weekdays 9:00-17:00 JST, no
    holidays, no year-end days). Participants who have not confirmed are listed and get nothing.
    `send-due` (every minute inside `make run`) then sends each message when its time has come.
    The officer gets a mail with the window (not the times) and the link to their check sheet.
    With --late, participants who confirmed after scheduling are added to the drill.
    """
    month = _parse_month(month_text)
    first_day: date | None = start.date() if start else None
    try:
        if late:
            result = schedule_late(env.deps(), application_id, start=first_day)
        else:
            result = schedule(
                env.deps(), application_id, start=first_day, days=days, month=month, variant=variant
            )
    except ScheduleError as exc:
        fail(f"{exc} ({exc.code})")
    link = sheet_url(env.deps(), result.application_id)
    mailed = ""
    if not no_mail:
        try:
            send_schedule_notice(env.deps(), result)
            mailed = "mailed to the officer"
        except MailError as exc:
            err.print(
                f"[yellow]warning:[/] the officer's mail was not sent ({exc}); give them the link below."
            )
    env.audit_line(
        "schedule",
        {
            "application_id": result.application_id,
            "late": late,
            "template": result.template,
            "messages": len(result.messages),
            "refused": len(result.refused),
            "officer_mailed": bool(mailed),
        },
    )
    if as_json:
        emit_json(
            {
                "application_id": result.application_id,
                "template": result.template,
                "window_start": result.window_start.isoformat(),
                "window_end": result.window_end.isoformat(),
                "messages": [
                    {"key": m.key, "email": m.email, "send_at": m.send_at.isoformat()}
                    for m in result.messages
                ],
                "refused": list(result.refused),
                "check_sheet_url": link,
                "officer_mailed": bool(mailed),
            }
        )
        return
    table = Table(title=f"Drill {result.application_id}: template {result.template}", box=box.SIMPLE_HEAD)
    table.add_column("send at (JST)")
    table.add_column("participant")
    for m in result.messages:
        table.add_row(jst(m.send_at), m.email)
    out.print(table)
    out.print(f"Window: {jst(result.window_start)} - {jst(result.window_end)} JST")
    out.print(f"Check sheet ({mailed or 'not mailed'}): {link}", soft_wrap=True)
    if result.refused:
        out.print(
            "[yellow]Not scheduled (not confirmed by their own link yet):[/] "
            + escape(", ".join(result.refused)),
        )


# -- send-due -----------------------------------------------------------------------------------


@contextmanager
def _progress(total: int, enabled: bool) -> Iterator[Callable[[Outcome], None]]:
    if not enabled or total == 0:
        yield lambda _outcome: None
        return
    with Progress(
        TextColumn("sending"), BarColumn(), MofNCompleteColumn(), console=err, transient=True
    ) as progress:
        task = progress.add_task("send", total=total)
        yield lambda _outcome: progress.advance(task)


@cli.command(name="send-due")
@click.option("--dry-run", is_flag=True, help="Only list what is due; send and change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
def send_due_command(env: Env, dry_run: bool, as_json: bool) -> None:
    """Send every drill mail (and one-shot sample mail) whose time has come.

    Safe to run any time, as often as you like, also two at once: each message is claimed before
    it is sent and marked after, so nobody gets a drill mail twice. A temporary refusal (SMTP 4xx,
    a dropped connection, throttling) is retried by a later run with a growing wait; a permanent
    one (SMTP 5xx, an unknown address) is recorded as failed. Paced to CAMPAIGN_SEND_RATE mails
    per second (default 5). Exit code 1 when a mail failed for good in this run.
    """
    deps = env.deps()
    total = 0 if dry_run else len(due_messages(deps))
    with _progress(total, enabled=not as_json and err.is_terminal) as advance:
        summary = send_due(deps, dry_run=dry_run, progress=advance)
    results = Counter(o.result for o in summary.outcomes)
    env.audit_line(
        "send-due", {"dry_run": dry_run, **dict(sorted(results.items())), "oneshots": summary.queued_oneshots}
    )
    if as_json:
        emit_json(summary.as_dict())
    else:
        if summary.outcomes:
            table = Table(title="Due now" if dry_run else "Sent in this run", box=box.SIMPLE_HEAD)
            table.add_column("result")
            table.add_column("participant", overflow="fold", min_width=20)
            table.add_column("message", overflow="fold")
            table.add_column("detail" if not dry_run else "due since (JST)", overflow="fold")
            for o in summary.outcomes:
                table.add_row(o.result, o.email, o.key, jst(o.detail) if o.result == "due" else o.detail)
            out.print(table)
        parts = [f"{n} {name}" for name, n in sorted(results.items())]
        if summary.queued_oneshots:
            parts.append(f"{summary.queued_oneshots} one-shot {'to queue' if dry_run else 'queued'}")
        out.print(("Dry run: " if dry_run else "") + (", ".join(parts) if parts else "nothing due"))
    if summary.count("failed"):
        sys.exit(1)


# -- show ---------------------------------------------------------------------------------------


@cli.command()
@click.argument("application_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
def show(env: Env, application_id: str, as_json: bool) -> None:
    """One drill: each participant's send state, and when a person opened and clicked.

    Opens and clicks by mail scanners and link previewers are counted apart ("machine hits").
    An open can go unseen when a mail program does not load images: "not opened" may be unknown.
    """
    drill = env.store.get(DRILL, application_id)
    if drill is None:
        fail(f"application {application_id} has no scheduled drill (see `campaign applications`)")
    deps = env.deps()
    counts = activity(deps, application_id)
    states = {r.key: r.data for r in env.store.query(MESSAGE, where={"application_id": application_id})}
    rows = [
        {
            "email": m.email,
            "state": states.get(m.key, {}).get("state", ""),
            "send_at": states.get(m.key, {}).get("send_at"),
            "sent_at": m.sent_at.isoformat() if m.sent_at else None,
            "opened_at": m.first_open.isoformat() if m.first_open else None,
            "clicked_at": m.first_click.isoformat() if m.first_click else None,
            "machine_hits": m.machine_hits,
            "error": states.get(m.key, {}).get("last_error"),
        }
        for m in counts.messages
    ]
    env.audit_line(
        "show", {"application_id": application_id, "format": _format(as_json), "participants": len(rows)}
    )
    if as_json:
        emit_json(
            {
                "application_id": application_id,
                "template": drill.data["template"],
                **counts.as_dict(),
                "participants": rows,
            }
        )
        return
    table = Table(title=f"Drill {application_id}: template {drill.data['template']}", box=box.SIMPLE_HEAD)
    table.add_column("participant", overflow="fold", min_width=16)
    table.add_column("state", overflow="fold")
    for column in ("sent (or due)", "opened", "clicked"):
        table.add_column(column)
    table.add_column("machine", justify="right")
    table.caption = "times in JST (month-day hour:minute)"
    for row in sorted(rows, key=lambda r: str(r["send_at"])):
        table.add_row(
            str(row["email"]),
            str(row["state"]) + (f" ({row['error']})" if row["state"] == "failed" else ""),
            jst(row["sent_at"])[5:] if row["sent_at"] else f"({jst(row['send_at'])[5:]})",
            jst(row["opened_at"])[5:],
            jst(row["clicked_at"])[5:],
            str(row["machine_hits"]),
        )
    out.print(table)
    out.print(
        f"sent {counts.sent}, opened {counts.opened}, clicked {counts.clicked} (people only; "
        f"{counts.machine_hits} machine hits left out)"
    )


@cli.command()
@click.argument("application_id")
@click.pass_obj
def sheet(env: Env, application_id: str) -> None:
    """Print the officer's check sheet link again (valid for 60 days from now).

    `schedule` mails this link to the officer; use this when they cannot find that mail. The link
    opens a page where the officer records, per participant, whether and when they reported the
    drill mail, what they did, and notes. Send it to the officer only.
    """
    if env.store.get(DRILL, application_id) is None:
        fail(f"application {application_id} has no scheduled drill (see `campaign applications`)")
    env.audit_line("sheet", {"application_id": application_id})
    click.echo(sheet_url(env.deps(), application_id))


@cli.command(name="report")
@click.argument("application_id")
@click.option("--format", "fmt", type=click.Choice(["html", "csv"]), default="html", show_default=True)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, allow_dash=True),
    default="-",
    help="Write to this file (default: standard output).",
)
@click.option("--send", is_flag=True, help="Also mail the officer their link to the report (HTML and CSV).")
@click.pass_obj
def report_command(env: Env, application_id: str, fmt: str, output: str, send: bool) -> None:
    """Build the drill report of one application: per participant opened (yes / no / unknown),
    open, click and report times, time from opening to reporting, action and notes; the report
    rate and median time to report first, beside the campaign-wide average.

    HTML prints on A4; CSV is UTF-8 with a byte order mark (Excel opens it as it is), and cells
    that Excel would run as formulas are written as text.
    """
    if env.store.get(DRILL, application_id) is None:
        fail(f"application {application_id} has no scheduled drill (see `campaign applications`)")
    deps = env.deps()
    built = build_report(deps, application_id)
    if fmt == "csv":
        data = render_csv(built)
    else:
        data = render_html(built, site_url=env.settings.base_url).encode("utf-8")
    with click.open_file(output, "wb") as handle:
        handle.write(data)
    env.audit_line(
        "report",
        {
            "application_id": application_id,
            "format": fmt,
            "to_file": output != "-",
            "participants": len(built.rows),
            "send": send,
        },
    )
    if output != "-":
        rates = built.rates
        summary = f"reported {rates.reported}/{rates.sent}, opened {rates.opened}, clicked {rates.clicked}"
        out.print(f"Wrote {output}: {summary}", soft_wrap=True)
    if send:
        try:
            send_report_notice(deps, application_id)
        except MailError as exc:
            fail(f"the report mail was not sent: {exc}")
        env.store.update(DRILL, application_id, {"report_sent_at": deps.now().isoformat()})
        err.print(f"Mailed the officer the link: {escape(report_url(deps, application_id))}", soft_wrap=True)


@cli.command(name="feedback")
@click.argument("chamber")
@click.option(
    "--from", "start", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD", help="From this day."
)
@click.option(
    "--to", "end", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD", help="Up to this day."
)
@click.option("--format", "fmt", type=click.Choice(["html", "csv"]), default="html", show_default=True)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, allow_dash=True),
    default="-",
    help="Write to this file (default: standard output).",
)
@click.option("--send", is_flag=True, help="Also mail the list (CSV attached) to the chamber's contact.")
@click.pass_obj
def feedback_command(
    env: Env, chamber: str, start: datetime | None, end: datetime | None, fmt: str, output: str, send: bool
) -> None:
    """List the companies of one chamber of commerce that took part in a drill.

    CHAMBER is a code (e.g. sapporo) or a name from content/chambers.yml. Drills count when their
    send window started within --from/--to (JST dates, both included). Per company: name, office,
    prefecture, member or not, start date, participants, completed or still running. No result of
    any person is included. --send mails it to the chamber's contact_email.
    """
    deps = env.deps()
    try:
        found = find_chamber(deps, chamber)
    except UnknownChamber:
        fail(f"no chamber {chamber!r} in content/chambers.yml (use its code, e.g. sapporo, or its name)")
    first, last = (start.date() if start else None), (end.date() if end else None)
    if first and last and first > last:
        raise click.BadParameter("--from is after --to", param_hint="--from")
    built = build_feedback(deps, found, start=first, end=last)
    data = feedback_csv(built) if fmt == "csv" else feedback_html(built).encode("utf-8")
    with click.open_file(output, "wb") as handle:
        handle.write(data)
    env.audit_line(
        "feedback",
        {
            "chamber": found.code,
            "from": first.isoformat() if first else "",
            "to": last.isoformat() if last else "",
            "format": fmt,
            "to_file": output != "-",
            "companies": len(built.rows),
            "send": send,
        },
    )
    if output != "-":
        out.print(f"Wrote {output}: {len(built.rows)} companies of {found.name}", soft_wrap=True)
    if send:
        try:
            send_feedback(deps, built)
        except (MailError, ValueError) as exc:
            fail(f"the feedback mail was not sent: {exc}")
        err.print(f"Mailed {escape(found.contact_email)}", soft_wrap=True)


# -- maintenance --------------------------------------------------------------------------------


@cli.command()
@click.argument("state", type=click.Choice(["on", "off", "status"]))
@click.option(
    "--message", default="", help="The notice shown on the forms while intake is paused (Japanese)."
)
@click.pass_obj
def maintenance(env: Env, state: str, message: str) -> None:
    """Pause (on) or resume (off) the signup forms, or show the current state.

    While on, the forms show the notice instead of accepting applications; drills already
    scheduled keep being sent.
    """
    if state != "status":
        if state == "off" and message:
            raise click.UsageError("--message only goes with `on`")
        set_maintenance(env.store, env.clock, on=state == "on", message=message)
    current = maintenance_message(env.store, env.settings)
    if current is None:
        out.print("Forms are open (maintenance off).")
    else:
        out.print(f"Forms are paused (maintenance on). Notice: {current or '(the standard notice)'}")


# -- suppression list ----------------------------------------------------------------------------


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
def suppressed(env: Env, as_json: bool) -> None:
    """List the addresses no mail goes to any more, newest first.

    An address is listed once SES reported it bounced for good (the mailbox does not exist) or
    its owner marked our mail as spam (a complaint). Drill mail, notices and reports to a listed
    address are not sent.
    """
    rows = sorted(suppressed_addresses(env.store), key=lambda row: str(row.get("last_at", "")), reverse=True)
    env.audit_line("suppressed", {"format": _format(as_json), "rows": len(rows)})
    if as_json:
        emit_json(rows)
        return
    if not rows:
        out.print("No address is suppressed.")
        return
    table = Table(title=f"Suppressed addresses ({len(rows)})", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("address", no_wrap=True)  # staff search for it, so never split
    table.add_column("reason", no_wrap=True)
    table.add_column("detail", overflow="fold")
    table.add_column("last", no_wrap=True)
    table.add_column("events", no_wrap=True, justify="right")
    for row in rows:
        table.add_row(
            str(row.get("email", "")),
            str(row.get("last_reason") or row.get("reason", "")),
            str(row.get("last_detail") or row.get("detail", "")),
            jst(row.get("last_at"))[:10],
            str(row.get("events", 1)),
        )
    out.print(table)
    out.print("last = the latest bounce or complaint (JST); --json also gives the first")


for _hq_command in HQ_COMMANDS:  # leads, purge, forget, audit (HQ)
    cli.add_command(_hq_command)
