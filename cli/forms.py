"""The subcommands of `campaign` on intake and delivery (registered on its group by `cli/main.py`):

    campaign maintenance on|off|status [--message TEXT]
    campaign suppressed [--json]

`suppressed` writes an audit line (format and count).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from rich.markup import escape

from campaign_core.mail.suppression import suppressed_addresses
from cli.japanese import Choice, JaCommand
from cli.output import fmt_name, json_option, jst, out, rows_table
from form_lambda.services.common import maintenance_message, set_maintenance

if TYPE_CHECKING:
    from cli.main import Env


REASONS = {"bounce": "不達", "complaint": "苦情"}

# -- maintenance --------------------------------------------------------------------------------


@click.command(cls=JaCommand)
@click.argument("state", type=Choice(["on", "off", "status"]), metavar="on|off|status")
@click.option(
    "--message", default="", metavar="文面", help="受付を止めている間、フォームに出すお知らせの文面。"
)
@click.pass_obj
def maintenance(env: Env, state: str, message: str) -> None:
    """申込フォームの受付を止める(on)・再開する(off)、またはいまの状態を見る(status)。

    止めている間、フォームは申込を受け付けずにお知らせを出します。
    日程の決まった訓練メールは、止めている間も送られます。
    """
    if state != "status":
        if state == "off" and message:
            raise click.UsageError("--message は on と一緒にだけ使えます。")
        set_maintenance(env.store, env.clock, on=state == "on", message=message)
    current = maintenance_message(env.store, env.settings)
    if current is None:
        out.print("申込フォームは受付中です(maintenance off)。")
    else:
        out.print(
            "申込フォームの受付を止めています(maintenance on)。"
            f"お知らせ: {escape(current or '(いつもの文面)')}"
        )


# -- suppression list ----------------------------------------------------------------------------


@click.command(cls=JaCommand)
@json_option()
@click.pass_obj
def suppressed(env: Env, as_json: bool) -> None:
    """もうメールを送らないアドレスを、新しい順に一覧にします。

    届かないことがはっきりした(メールボックスがない)アドレスと、受け取った人が迷惑メールと
    報告した(苦情)アドレスが載ります。載ったアドレスには、訓練メール・お知らせ・レポートを送りません。
    """
    rows = sorted(suppressed_addresses(env.store), key=lambda row: str(row.get("last_at", "")), reverse=True)
    env.audit_line("suppressed", {"format": fmt_name(as_json), "rows": len(rows)})
    table = rows_table(
        rows, as_json, empty="送信を止めたアドレスはありません。", title="送信を止めたアドレス"
    )
    if table is None:
        return
    table.add_column("アドレス", no_wrap=True)  # staff search for it, so never split
    table.add_column("理由", no_wrap=True)
    table.add_column("くわしく", overflow="fold")
    table.add_column("最後", no_wrap=True)
    table.add_column("回数", no_wrap=True, justify="right")
    for row in rows:
        table.add_row(
            str(row.get("email", "")),
            _reason(str(row.get("last_reason") or row.get("reason", ""))),
            escape(str(row.get("last_detail") or row.get("detail", ""))),
            jst(row.get("last_at"))[:10],
            str(row.get("events", 1)),
        )
    out.print(table)
    out.print("最後 = いちばん新しい不達・苦情の日(日本時間)。--json では最初の日も出ます。")


def _reason(code: str) -> str:
    return REASONS.get(code, code)
