"""The subcommands of `campaign` on intake and delivery (registered on its group by `cli/main.py`):

    campaign maintenance on|off|status [--message TEXT]
    campaign suppressed [--json]

`suppressed` writes an audit line (format and count).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from campaign_core.suppression import suppressed_addresses
from cli.output import fmt_name, json_option, jst, out, rows_table
from form_lambda.services.common import maintenance_message, set_maintenance

if TYPE_CHECKING:
    from cli.main import Env


# -- maintenance --------------------------------------------------------------------------------


@click.command()
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


@click.command()
@json_option()
@click.pass_obj
def suppressed(env: Env, as_json: bool) -> None:
    """List the addresses no mail goes to any more, newest first.

    An address is listed once SES reported it bounced for good (the mailbox does not exist) or
    its owner marked our mail as spam (a complaint). Drill mail, notices and reports to a listed
    address are not sent.
    """
    rows = sorted(suppressed_addresses(env.store), key=lambda row: str(row.get("last_at", "")), reverse=True)
    env.audit_line("suppressed", {"format": fmt_name(as_json), "rows": len(rows)})
    table = rows_table(rows, as_json, empty="No address is suppressed.", title="Suppressed addresses")
    if table is None:
        return
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
