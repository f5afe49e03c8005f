"""HQ's subcommands of `campaign` (registered on its group by `cli/main.py`):

    campaign leads [--since DATE] [--chamber sapporo] [--format csv|table] [--output FILE]
    campaign purge [--json]
    campaign forget EMAIL [--yes] [--json]
    campaign audit [--since DATE] [--json]
    campaign stats [--from DATE] [--to DATE] [--out FILE.html] [--format html|csv]

Every one of them writes an audit line (who: `CAMPAIGN_STAFF` or the OS user; when; what, as counts
and filters, never an address). The subcommands reach the store, clock and settings through the
group's context object (`cli.main.Env`).
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

import click
from rich.markup import escape
from rich.table import Table

from campaign_core.clock import JST, Clock, parse_instant
from campaign_core.settings import Settings
from campaign_core.store import Store
from cli.output import check_order, emit_json, err, json_option, out
from hq import audit
from hq.forget import forget
from hq.leads import build_leads
from hq.leads import render_csv as leads_csv
from hq.retention import purge_and_audit
from hq.stats import build_stats, load_rows
from hq.stats_output import render_csv, render_html, summary_lines


class HQEnv(Protocol):
    """What the group's context object offers (`cli.main.Env`)."""

    settings: Settings
    clock: Clock

    @property
    def store(self) -> Store: ...


def _instant(text: str | None, option: str) -> datetime | None:
    if not text:
        return None
    try:
        return parse_instant(text)
    except ValueError as exc:
        raise click.BadParameter(f"not a date such as 2026-12-01: {text}", param_hint=option) from exc


@click.command(name="leads")
@click.option("--since", help="Only leads whose consent was given on or after this date (JST).")
@click.option("--chamber", help="Only this chamber of commerce (code, e.g. sapporo, or its name).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True)
@click.option(
    "--output", type=click.Path(dir_okay=False, writable=True), help="Write the CSV here (default: stdout)."
)
@click.pass_obj
def leads_command(env: HQEnv, since: str | None, chamber: str | None, fmt: str, output: str | None) -> None:
    """Non-members who agreed to be contacted: what they joined, chamber, consent version and time.

    The CSV is UTF-8 with a byte order mark for Excel; cells Excel would run as formulas are written
    as text. Only records with a consent (version and time) count, drill applications only once the
    officer confirmed the address, and addresses that bounced or complained never appear.
    """
    start = _instant(since, "--since")
    found = build_leads(env.store, env.clock.now(), since=start, chamber=chamber)
    audit.record(
        env.store,
        env.clock,
        "leads",
        {"since": since or "", "chamber": chamber or "", "format": fmt, "rows": len(found)},
    )
    if fmt == "csv":
        data = leads_csv(found)
        if output:
            Path(output).write_bytes(data)
            err.print(f"{len(found)} lead(s) written to {escape(output)}")
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        return
    table = Table(title=f"Leads: {len(found)}", title_justify="left")
    for header in ("email", "company", "chamber", "joined", "consent"):
        table.add_column(header, overflow="fold")
    for lead in found:
        table.add_row(
            escape(lead.email),
            escape(lead.company),
            escape(lead.chamber_name),
            # The membership offer on a second line: the table stays as narrow as a terminal.
            f"{escape(lead.joined_labels())}\n{lead.offer_label()}",
            f"{escape(lead.consent_version)} {lead.consent_at.astimezone(JST):%Y-%m-%d %H:%M}",
        )
    out.print(table)


@click.command(name="purge")
@json_option("Print JSON instead of a summary.")
@click.pass_obj
def purge_command(env: HQEnv, as_json: bool) -> None:
    """Delete what is past its retention period, on the configured store and in the local outbox.

    Periods (days) come from CAMPAIGN_RETAIN_TRACKING_DAYS (tracking detail, 90),
    CAMPAIGN_RETAIN_RECORDS_DAYS (applications, drills, reports, 1095),
    CAMPAIGN_RETAIN_UNCONFIRMED_DAYS (never-confirmed applications, 30) and
    CAMPAIGN_RETAIN_OUTBOX_DAYS (local outbox copies, 90). The local server runs this once a day.
    """
    summary = run_purge(env)
    if as_json:
        emit_json(summary)
        return
    deleted = summary["deleted"]
    out.print(
        f"Purged: {sum(deleted.values())} record(s) deleted"
        + (f" ({', '.join(f'{k} {v}' for k, v in deleted.items())})" if deleted else "")
        + f", {summary['settled_events']} tracking event(s) settled, "
        f"{summary['outbox_files']} outbox file(s) deleted."
    )


def run_purge(env: HQEnv, *, who: str | None = None) -> dict[str, Any]:
    """Purge and write the audit line (also called by the local server's daily job)."""
    _ = env.settings  # bad settings stop here with a clear message, before anything is touched
    return purge_and_audit(env.store, env.clock, env.settings, who=who)


@click.command(name="forget")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@json_option("Print JSON instead of a summary.")
@click.pass_obj
def forget_command(env: HQEnv, email: str, yes: bool, as_json: bool) -> None:
    """Remove or anonymise one person's data everywhere (a request to delete under APPI).

    Seminar signups and one-shot requests are deleted; in drill applications the address (and an
    officer's name) is erased; sent drill mails keep only anonymous counts for the company's report;
    the local outbox copies that mention the address are deleted. The audit log records that it
    happened and what it touched, without the address.
    """
    if "@" not in email:
        raise click.BadParameter("not an e-mail address", param_hint="EMAIL")
    if not yes:
        click.confirm("Erase this person's data everywhere? This cannot be undone", abort=True)
    summary = forget(env.store, email, outbox_dir=env.settings.outbox_dir, machine=env.settings.machine)
    details = summary.as_dict()
    audit.record(env.store, env.clock, "forget", details)
    if as_json:
        emit_json(details)
        return
    if not summary.found:
        out.print("Nothing was stored for this address (the request is recorded in the audit log).")
        return
    touched = {**{f"deleted {k}": v for k, v in details["deleted"].items()}}
    touched.update({f"anonymised {k}": v for k, v in details["anonymised"].items()})
    parts = [f"{k} {v}" for k, v in touched.items()]
    if summary.outbox_files:
        parts.append(f"outbox files {summary.outbox_files}")
    out.print("Forgotten: " + ", ".join(parts) + ".")


@click.command(name="audit")
@click.option("--since", help="Only lines from this date (JST) on.")
@json_option()
@click.pass_obj
def audit_command(env: HQEnv, since: str | None, as_json: bool) -> None:
    """The audit log: who ran which command on personal data, when, and what it touched."""
    start = _instant(since, "--since")
    found = audit.lines(env.store, since=start)
    if as_json:
        emit_json([r.data for r in found])
        return
    table = Table(title=f"Audit log: {len(found)} line(s)", title_justify="left")
    for header in ("when (JST)", "who", "command", "what"):
        table.add_column(header, overflow="fold")
    for r in found:
        at = datetime.fromisoformat(str(r.data["at"])).astimezone(JST)
        details = json.dumps(r.data.get("details", {}), ensure_ascii=False, sort_keys=True)
        table.add_row(
            f"{at:%Y-%m-%d %H:%M}", escape(str(r.data["who"])), str(r.data["command"]), escape(details)
        )
    out.print(table)


def _day(text: str | None, option: str) -> date | None:
    instant = _instant(text, option)
    return instant.astimezone(JST).date() if instant else None


@click.command(name="stats")
@click.option("--from", "start", help="First day (JST) of applications counted, e.g. 2026-10-01.")
@click.option("--to", "end", help="Last day (JST) of applications counted.")
@click.option("--format", "fmt", type=click.Choice(["html", "csv"]), default="html", show_default=True)
@click.option(
    "--out",
    "output",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the page (or CSV) here; default campaign-stats.html / .csv in the current folder.",
)
@click.pass_obj
def stats_command(env: HQEnv, start: str | None, end: str | None, fmt: str, output: str | None) -> None:
    """The campaign dashboard: one self-contained HTML page (charts as inline SVG, no scripts, prints
    on A4) or the same numbers as CSV, and a short summary here.

    Applications per week (seminar, drill, one-shot), confirmed and expired, drills by chamber and
    prefecture, members and non-members, the funnel seminar -> drill -> reported -> follow-up, report
    rate and median time to report by month, obvious and subtle mails compared. Nothing is shown per
    company; groups of fewer than 5 companies are folded together or not shown.
    """
    first, last = _day(start, "--from"), _day(end, "--to")
    check_order(first, last)
    result = build_stats(
        load_rows(env.store), env.clock.now(), start=first, end=last, machine=env.settings.machine
    )
    path = Path(output or f"campaign-stats.{fmt}")
    path.write_bytes(render_csv(result) if fmt == "csv" else render_html(result).encode("utf-8"))
    audit.record(env.store, env.clock, "stats", {"from": start or "", "to": end or "", "format": fmt})
    for line in summary_lines(result):
        out.print(escape(line), soft_wrap=True)
    out.print(f"Written to {escape(str(path))}")


HQ_COMMANDS = (leads_command, purge_command, forget_command, audit_command, stats_command)
