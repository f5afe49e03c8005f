"""`campaign applications`: the drill applications and the stage each is at (registered on the
group by `cli/main.py`):

    campaign applications [--status accepted] [--chamber sapporo] [--json]
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from campaign_core.clock import parse_iso
from campaign_core.records import APPLICATION, DRILL, MESSAGE, mailable_participants
from campaign_core.store import Record
from cli.output import fmt_name, json_option, jst, out, rows_table
from drill_sender.services.report_due import report_lateness

if TYPE_CHECKING:
    from cli.main import Env

STAGES = ("pending", "expired", "accepted", "scheduled", "sent")


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


def _report_status(env: Env, drill: Mapping[str, Any] | None, now: datetime) -> dict[str, Any]:
    """The report's target (the send window's end + CAMPAIGN_REPORT_TARGET_DAYS, two weeks by
    default), when it went out, whether it is held, and whether it is late against the target."""
    if drill is None:
        return {"report_due": None, "report_sent_at": None, "report_state": None, "report_late": False}
    target, late = report_lateness(env.settings.report.target, drill, now)
    return {
        "report_due": target.isoformat(),
        "report_sent_at": drill.get("report_sent_at"),
        "report_state": drill.get("report_state"),
        "report_late": late,
    }


def _chamber_matches(application: Mapping[str, Any], wanted: str) -> bool:
    chamber = application.get("chamber") or {}
    return wanted.strip().lower() in {
        str(chamber.get("code", "")).lower(),
        str(chamber.get("name", "")).lower(),
    }


@click.command()
@click.option(
    "--status", "statuses", multiple=True, type=click.Choice(STAGES), help="Only these stages (repeatable)."
)
@click.option("--chamber", help="Only this chamber of commerce (code, e.g. sapporo, or its name).")
@json_option()
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
                **_report_status(env, drills.get(record.key), now),
            }
        )
    rows.sort(key=lambda row: str(row["applied_at"]), reverse=True)
    env.audit_line(
        "applications",
        {"status": list(statuses), "chamber": chamber or "", "format": fmt_name(as_json), "rows": len(rows)},
    )
    table = rows_table(rows, as_json, empty="No applications match.", title="Applications")
    if table is None:
        return
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
    late = sum(1 for row in rows if row["report_late"])
    if late:
        out.print(f"[red]2週間の目標に遅れているレポート: {late} 件[/]")


def _report_cell(row: Mapping[str, Any], now: datetime) -> str:
    if row.get("report_sent_at"):
        sent = f"sent {jst(row['report_sent_at'])[5:10]}"
        return f"[red]{sent} (遅れ)[/]" if row.get("report_late") else sent
    if not row.get("report_due"):
        return ""
    due = parse_iso(str(row["report_due"]))
    held = " 保留中" if row.get("report_state") == "held" else ""
    return (
        f"[red]overdue {jst(due)[5:10]}{held}[/]" if row.get("report_late") else f"by {jst(due)[5:10]}{held}"
    )
