"""`campaign` alone: what a branch clerk should do next, so that opening a terminal is enough to
know where to start. Three lists, each with the command that deals with it:

- confirmed applications without a schedule (`campaign schedule`),
- drills whose mails are all out and whose report has not been sent (`campaign report --send`),
  the most pressing first,
- addresses that bounced or complained in the last two weeks (`campaign suppressed`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from campaign_core.clock import parse_iso
from campaign_core.mail.suppression import suppressed_addresses
from cli.applications import application_rows, report_cell
from cli.output import jst, out
from form_lambda.services.common import maintenance_message

if TYPE_CHECKING:
    from cli.main import Env

SHOWN = 10
RECENT_BOUNCES = timedelta(days=14)


def _company(row: dict[str, Any]) -> str:
    return escape(" ".join(str(part) for part in (row["company"], row["office"]) if part))


def _more(rows: list[Any]) -> None:
    if len(rows) > SHOWN:
        out.print(f"  ほか {len(rows) - SHOWN} 件")


def show_overview(env: Env) -> None:
    now = env.clock.now()
    rows = application_rows(env)
    waiting = [row for row in reversed(rows) if row["stage"] == "accepted"]  # oldest first
    reports = sorted(
        (row for row in rows if row["stage"] == "sent" and row["report_due"] and not row["report_sent_at"]),
        key=lambda row: str(row["report_due"]),
    )
    since = now - RECENT_BOUNCES
    bounces = [
        row
        for row in suppressed_addresses(env.store)
        if row.get("last_at") and parse_iso(str(row["last_at"])) >= since
    ]
    env.audit_line(
        "overview", {"waiting": len(waiting), "reports_due": len(reports), "bounces": len(bounces)}
    )
    out.print(f"[bold]セキュリティ訓練キャンペーン: いまやること[/]({jst(now)} 現在)\n")
    if maintenance_message(env.store, env.settings) is not None:
        out.print("[yellow]申込フォームの受付を止めています。[/]再開は `campaign maintenance off` です。\n")
    if waiting:
        out.print(f"[bold]1. 日程を決める申込 {len(waiting)} 件[/](`campaign schedule 申込ID`)")
        for row in waiting[:SHOWN]:
            out.print(f"  {row['id'][:8]}  {_company(row)}(申込 {jst(row['applied_at'])[:10]})")
        _more(waiting)
    if reports:
        out.print(f"[bold]2. レポートを送る訓練 {len(reports)} 件[/](`campaign report 申込ID --send`)")
        for row in reports[:SHOWN]:
            out.print(f"  {row['id'][:8]}  {_company(row)}  期限 {report_cell(row, now)}")
        _more(reports)
    if bounces:
        out.print(
            f"[bold]3. 最近届かなかった・苦情のあったアドレス {len(bounces)} 件[/](`campaign suppressed`)"
        )
        for row in bounces[:SHOWN]:
            out.print(f"  {escape(str(row.get('email', '')))}({jst(row.get('last_at'))[:10]})")
        _more(bounces)
    if not (waiting or reports or bounces):
        out.print("いま急いでやることはありません。")
    out.print(
        "\n申込の一覧は `campaign applications`、使えるコマンドの説明は `campaign --help` で見られます。"
        "申込ID は頭の数文字(上の 8 文字など)だけでも使えます。",
        soft_wrap=True,
    )
