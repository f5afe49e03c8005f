"""`campaign migrate-store`: move a store written before the keyed layout into it (registered on
the group by `cli/main.py`).

    campaign migrate-store [--dry-run] [--json]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from campaign_core.drill_records import Drill
from campaign_core.records import DRILL
from campaign_core.store.migrate import migrate_store
from cli.japanese import JaCommand
from cli.output import emit_json, json_option, out
from drill_sender.services.report import build_report

if TYPE_CHECKING:
    from campaign_core.deps import Deps
    from cli.main import Env


def count_closed_drills(deps: Deps, *, dry_run: bool = False) -> int:
    """Put every drill whose window has closed into its fiscal year's campaign figures (building
    its report counts it: `drill_sender.services.campaign_average`); how many were (or would be)."""
    now = deps.now()
    drills = map(Drill.from_record, deps.store.query(DRILL))  # staff only: a one-off pass over them
    closed = [d for d in drills if d.counted is None and d.window_end is not None and d.window_end <= now]
    if not dry_run:
        for drill in closed:
            build_report(deps, drill.key)
    return len(closed)


@click.command(name="migrate-store", cls=JaCommand)
@click.option("--dry-run", is_flag=True, help="書き換えずに、書き換える件数だけを表示します。")
@json_option()
@click.pass_obj
def migrate_store_command(env: Env, dry_run: bool, as_json: bool) -> None:
    """保存データを新しい索引の形に書き換えます(更新後に一度だけ実行)。

    送信待ちのメールと進行中の訓練に送信予定の目印を付け、終わった訓練をキャンペーン全体の集計に加え、
    保存期間の確認日を付け、DynamoDB では索引用の項目を補います。
    何度実行しても結果は同じです。途中で止まったときは、もう一度実行すれば続きから書き換えます。
    """
    summary = migrate_store(env.store, dry_run=dry_run)
    counted = count_closed_drills(env.deps(), dry_run=dry_run)
    figures = {
        "due_added": summary.due_added,
        "open_added": summary.open_added,
        "listed": summary.listed,
        "counted": counted,
        "periods_added": summary.periods_added,
        "reindexed": summary.reindexed,
        "changed": summary.changed,
    }
    if not dry_run:
        env.audit_line("migrate-store", figures)
    if as_json:
        emit_json({"dry_run": dry_run, **figures})
        return
    verb = "書き換えます(--dry-run のため、まだ書き換えていません)" if dry_run else "書き換えました"
    out.print(f"送信待ちのメール: {summary.due_added} 件を{verb}。")
    out.print(f"進行中の訓練とサンプル申込: {summary.open_added} 件を{verb}。")
    out.print(f"商工会議所ごとの一覧に載せる訓練: {summary.listed} 件を{verb}。")
    out.print(f"キャンペーン全体の集計に加える訓練: {counted} 件を{verb}。")
    out.print(f"保存期間の確認日を付ける記録: {summary.periods_added} 件を{verb}。")
    out.print(f"索引の項目: {summary.reindexed} 件を{verb}。")
    if summary.changed:
        out.print(
            f"[yellow]実行中に更新された {summary.changed} 件は飛ばしました。もう一度実行してください。[/]"
        )
