"""`campaign requeue`: put drill mail that failed by mistake back in the queue (registered on the
group by `cli/main.py`).

    campaign requeue [APPLICATION_ID] [--message KEY ...] [--json]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from rich.markup import escape

from cli.ids import resolve_application_id
from cli.japanese import JaCommand
from cli.output import emit_json, fail, json_option, out
from drill_sender.services.requeue import application_message_keys, requeue

if TYPE_CHECKING:
    from cli.main import Env


@click.command(name="requeue", cls=JaCommand)
@click.argument("application_id", metavar="[申込ID]", required=False)
@click.option(
    "--message",
    "message_keys",
    multiple=True,
    metavar="KEY",
    help="送り直すメッセージの ID(`send-due` の結果にあるもの)。何度でも指定できます。",
)
@json_option()
@click.pass_obj
def requeue_command(
    env: Env, application_id: str | None, message_keys: tuple[str, ...], as_json: bool
) -> None:
    """送信に失敗したメールを、もう一度送る予定に戻します。

    申込 ID を指定すると、その訓練で「失敗」になったメール(訓練メール・種明かし・フォローアップ)を
    すべて戻します。--message で 1 通ずつ指定することもできます。戻せるのは失敗したメールだけで、
    送信済みのメールが二度送られることはありません。戻したメールは、次の send-due ですぐに送られます
    (試行回数は 0 からやり直しです)。
    """
    if not application_id and not message_keys:
        raise click.UsageError("申込 ID か --message のどちらかを指定してください。")
    keys = list(message_keys)
    optional: frozenset[str] = frozenset()
    if application_id:
        application_id = resolve_application_id(env, application_id)  # a unique beginning is enough
        found = application_message_keys(env.deps(), application_id)
        if found is None:
            fail(
                f"申込 {application_id} には予定された訓練がありません"
                "(`campaign applications` で確認できます)。"
            )
        keys += found
        optional = frozenset(found)
    result = requeue(env.deps(), keys, only_found=optional)
    env.audit_line(
        "requeue",
        {
            "application_id": application_id or "",
            "requeued": len(result.requeued),
            "not_failed": len(result.not_failed),
            "unknown": len(result.unknown),
        },
    )
    if as_json:
        emit_json(
            {
                "requeued": result.requeued,
                "not_failed": [{"key": key, "state": state} for key, state in result.not_failed],
                "unknown": result.unknown,
            }
        )
    else:
        for key in result.requeued:
            out.print(f"送信予定に戻しました: {escape(key)}")
        for key, state in result.not_failed:
            out.print(
                f"[yellow]失敗していないので、そのままにしました:[/] {escape(key)}(状態: {escape(state)})"
            )
        for key in result.unknown:
            out.print(f"[yellow]見つかりません:[/] {escape(key)}")
        out.print(
            f"{len(result.requeued)} 通を戻しました。次の send-due で送られます。"
            if result.requeued
            else "戻すメールはありませんでした。"
        )
    if result.unknown:
        raise SystemExit(1)
