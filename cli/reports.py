"""The report subcommands of `campaign` (registered on its group by `cli/main.py`):

    campaign report APPLICATION_ID [--format html|csv|pdf] [--output FILE] [--send]
    campaign feedback CHAMBER [--from DATE] [--to DATE] [--format html|csv] [--output FILE] [--send]

Both write an audit line (ids, filters, format and counts).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import click
from rich.markup import escape

from campaign_core.mail import MailError
from campaign_core.records import DRILL
from cli.drill import require_drill
from cli.output import DAY, check_order, document_options, err, fail, out, write_document
from cli.printing import html_to_pdf
from drill_sender.services.feedback import UnknownChamber, build_feedback, find_chamber, send_feedback
from drill_sender.services.feedback import render_csv as feedback_csv
from drill_sender.services.feedback import render_html as feedback_html
from drill_sender.services.notices import send_report_notice
from drill_sender.services.report import build_report, render_csv, render_html, report_url

if TYPE_CHECKING:
    from cli.main import Env


@click.command(name="report")
@click.argument("application_id")
@document_options(
    send_help="Also mail the officer their link to the report (HTML and CSV).", formats=("html", "csv", "pdf")
)
@click.pass_obj
def report_command(env: Env, application_id: str, fmt: str, output: str, send: bool) -> None:
    """Build the drill report of one application: per participant opened (yes / no / unknown),
    open, click and report times, time from opening to reporting, action and notes; the report
    rate and median time to report first, beside the campaign-wide average.

    HTML prints on A4; PDF is that page on A4 sheets, to print and post; CSV is UTF-8 with a byte
    order mark (Excel opens it as it is), and cells that Excel would run as formulas are written as
    text.
    """
    require_drill(env, application_id)
    deps = env.deps()
    built = build_report(deps, application_id)
    if fmt == "csv":
        data = render_csv(built)
    else:
        html = render_html(built, site_url=env.settings.base_url, membership=deps.membership_values())
        # PDF: the same page on A4, to print and post; every link is printed as its address.
        data = html_to_pdf(html) if fmt == "pdf" else html.encode("utf-8")
    write_document(output, data)
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
        sent_at = deps.now().isoformat()
        # The report mail carries the membership offer: HQ's leads show it was made.
        env.store.update(DRILL, application_id, {"report_sent_at": sent_at, "membership_offered_at": sent_at})
        err.print(f"Mailed the officer the link: {escape(report_url(deps, application_id))}", soft_wrap=True)


@click.command(name="feedback")
@click.argument("chamber")
@click.option("--from", "start", type=DAY, metavar="YYYY-MM-DD", help="From this day.")
@click.option("--to", "end", type=DAY, metavar="YYYY-MM-DD", help="Up to this day.")
@document_options(send_help="Also mail the list (CSV attached) to the chamber's contact.")
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
    check_order(first, last)
    built = build_feedback(deps, found, start=first, end=last)
    data = feedback_csv(built) if fmt == "csv" else feedback_html(built).encode("utf-8")
    write_document(output, data)
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
