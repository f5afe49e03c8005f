"""`campaign migrate-store`: move a store written before the keyed layout into it (registered on
the group by `cli/main.py`).

    campaign migrate-store [--dry-run] [--json]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from campaign_core.store.migrate import migrate_store
from cli.japanese import JaCommand
from cli.output import emit_json, json_option, out

if TYPE_CHECKING:
    from cli.main import Env


@click.command(name="migrate-store", cls=JaCommand)
@click.option("--dry-run", is_flag=True, help="書き換えずに、書き換える件数だけを表示します。")
@json_option()
@click.pass_obj
def migrate_store_command(env: Env, dry_run: bool, as_json: bool) -> None:
    """保存データを新しい索引の形に書き換えます(更新後に一度だけ実行)。

    送信待ちのメールに送信予定の目印を付け、DynamoDB では索引用の項目を補います。
    何度実行しても結果は同じです。途中で止まったときは、もう一度実行すれば続きから書き換えます。
    """
    summary = migrate_store(env.store, dry_run=dry_run)
    if not dry_run:
        env.audit_line(
            "migrate-store",
            {"due_added": summary.due_added, "reindexed": summary.reindexed, "changed": summary.changed},
        )
    if as_json:
        emit_json(
            {
                "dry_run": dry_run,
                "due_added": summary.due_added,
                "reindexed": summary.reindexed,
                "changed": summary.changed,
            }
        )
        return
    verb = "書き換えます(--dry-run のため、まだ書き換えていません)" if dry_run else "書き換えました"
    out.print(f"送信待ちのメール: {summary.due_added} 件を{verb}。")
    out.print(f"索引の項目: {summary.reindexed} 件を{verb}。")
    if summary.changed:
        out.print(
            f"[yellow]実行中に更新された {summary.changed} 件は飛ばしました。もう一度実行してください。[/]"
        )
