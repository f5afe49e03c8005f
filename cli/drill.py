"""The drill subcommands of `campaign` (registered on its group by `cli/main.py`):

    campaign schedule APPLICATION_ID [--start 2026-12-01] [--days 3] [--month 2026-12] [--variant subtle]
    campaign send-due [--dry-run]
    campaign show APPLICATION_ID [--json]
    campaign sheet APPLICATION_ID

Listing the applications is in `cli/applications.py`, the reports of a drill in `cli/reports.py`.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import TYPE_CHECKING

import click
from rich import box
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from campaign_core.mail import MailError
from campaign_core.records import DRILL, MESSAGE
from campaign_core.store import Record
from cli.output import DAY, emit_json, err, fail, fmt_name, json_option, jst, out
from drill_sender.services.checksheet import sheet_url
from drill_sender.services.notices import send_schedule_notice
from drill_sender.services.schedule import ScheduleError, schedule, schedule_late
from drill_sender.services.send import Outcome, due_messages, send_due
from drill_sender.services.tracking import activity
from drill_sender.templates import VARIANTS

if TYPE_CHECKING:
    from cli.main import Env

_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


def require_drill(env: Env, application_id: str) -> Record:
    """The application's drill record; exit with an error when it has no scheduled drill."""
    drill = env.store.get(DRILL, application_id)
    if drill is None:
        fail(f"application {application_id} has no scheduled drill (see `campaign applications`)")
    return drill


# -- schedule -----------------------------------------------------------------------------------


def _parse_month(text: str | None) -> int | None:
    if text is None:
        return None
    matched = _MONTH.fullmatch(text.strip())
    if not matched:
        raise click.BadParameter("use YYYY-MM, e.g. 2026-12", param_hint="--month")
    return int(matched.group(2))


@click.command(name="schedule")
@click.argument("application_id")
@click.option(
    "--start",
    type=DAY,
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
@json_option()
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


@click.command(name="send-due")
@click.option("--dry-run", is_flag=True, help="Only list what is due; send and change nothing.")
@json_option()
@click.pass_obj
def send_due_command(env: Env, dry_run: bool, as_json: bool) -> None:
    """Send every drill mail (and one-shot sample mail) whose time has come.

    Safe to run any time, as often as you like, also two at once: each message is claimed before
    it is sent and marked after, so nobody gets a drill mail twice. A temporary refusal (SMTP 4xx,
    a dropped connection) is retried by a later run with a growing wait; a permanent one (SMTP 5xx,
    an unknown address) is recorded as failed (`campaign requeue` puts it back). When the sending
    service refuses everything (SES paused, throttled or not verified, the relay unreachable or
    refusing the login), the run stops and every mail stays scheduled. Paced to CAMPAIGN_SEND_RATE
    mails per second (default 5). Exit code 1 when a mail failed for good or the run stopped.
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
    if summary.stopped:
        err.print(
            f"[bold red]送信を止めました[/](理由: {escape(summary.stopped)})。メールの送信元の設定か"
            "サービスの状態に問題があり、このままでは 1 通も届きません。残りのメールは送信予定のまま"
            "なので、原因を直してから send-due をもう一度実行してください。",
            soft_wrap=True,
        )
    if summary.count("failed") or summary.stopped:
        sys.exit(1)


# -- show ---------------------------------------------------------------------------------------


@click.command()
@click.argument("application_id")
@json_option()
@click.pass_obj
def show(env: Env, application_id: str, as_json: bool) -> None:
    """One drill: each participant's send state, and when a person opened and clicked.

    Opens and clicks by mail scanners and link previewers are counted apart ("machine hits").
    An open can go unseen when a mail program does not load images: "not opened" may be unknown.
    """
    drill = require_drill(env, application_id)
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
        "show",
        {"application_id": application_id, "format": fmt_name(as_json), "participants": len(rows)},
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


@click.command()
@click.argument("application_id")
@click.pass_obj
def sheet(env: Env, application_id: str) -> None:
    """Print the officer's check sheet link again (valid for 60 days from now).

    `schedule` mails this link to the officer; use this when they cannot find that mail. The link
    opens a page where the officer records, per participant, whether and when they reported the
    drill mail, what they did, and notes. Send it to the officer only.
    """
    require_drill(env, application_id)
    env.audit_line("sheet", {"application_id": application_id})
    click.echo(sheet_url(env.deps(), application_id))
