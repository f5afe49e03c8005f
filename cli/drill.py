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

from campaign_core.drill_records import Drill
from campaign_core.mail import MailError
from campaign_core.records import DRILL, MESSAGE
from cli.ids import resolve_application_id
from cli.japanese import Choice, Count, JaCommand
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

OUTCOME_LABELS = {
    "sent": "送信",
    "due": "送信予定",
    "failed": "失敗",
    "retry": "送り直し待ち",
    "skipped": "見送り",
}
STATE_LABELS = {"scheduled": "予約済み", "sending": "送信中", "sent": "送信済み", "failed": "失敗"}


def require_drill(env: Env, text: str) -> Drill:
    """The drill record of the application `text` names (its id or a unique beginning of it); exit
    with an error when there is no such application or it has no scheduled drill."""
    application_id = resolve_application_id(env, text)
    record = env.store.get(DRILL, application_id)
    if record is None:
        fail(
            f"申込 {application_id} の訓練は、まだ日程が決まっていません"
            "(`campaign schedule` で決めます。一覧は `campaign applications`)。"
        )
    return Drill.from_record(record)


# -- schedule -----------------------------------------------------------------------------------

# The scheduler's refusals, by their stable code, for branch staff (its own text is English).
REFUSALS = {
    "not_found": "この申込は見つかりません。",
    "not_accepted": "責任者の確認がまだ済んでいない申込です。確認が済むと日程を決められます。",
    "already_scheduled": "この申込は、もう日程が決まっています(`campaign show` で様子を見られます)。",
    "bad_variant": "文面の種類は obvious か subtle にしてください。",
    "bad_days": "送信期間は 1 営業日以上にしてください。",
    "past_start": "初日が過ぎた日付です。今日以降の日付にしてください。",
    "bad_window": "送信期間に送れる時間がありません。初日を遅らせるか、日数を増やしてください。",
    "bad_template": "その月の訓練メールの文面が見つかりません。",
    "no_participants": "確認が済んだ参加者がまだいないので、送る相手がいません。",
    "not_scheduled": "この申込は、まだ日程が決まっていません。",
    "nothing_new": "確認が済んだ参加者には、すべて訓練メールを予約してあります。追加する人はいません。",
    "changed": "ちょうど同じ訓練が変更されました。もう一度実行してください。",
}


def schedule_refusal(exc: ScheduleError) -> str:
    return REFUSALS.get(exc.code, str(exc))


def _parse_month(text: str | None) -> int | None:
    if text is None:
        return None
    matched = _MONTH.fullmatch(text.strip())
    if not matched:
        raise click.BadParameter("2026-12 のように、年-月で書いてください。", param_hint="--month")
    return int(matched.group(2))


@click.command(name="schedule", cls=JaCommand)
@click.argument("application_id", metavar="申込ID")
@click.option(
    "--start",
    type=DAY,
    help="送信期間の初日(日本時間の日付、例 2026-12-01)。指定しないときは今日。",
)
@click.option(
    "--days",
    type=Count(1, 20),
    default=3,
    show_default=True,
    metavar="日数",
    help="送信期間の長さ(営業日の数)。",
)
@click.option(
    "--month", "month_text", metavar="YYYY-MM", help="この月の訓練メールを使います(既定: 初日の月)。"
)
@click.option(
    "--variant",
    type=Choice(VARIANTS),
    default=None,
    help=(
        "文面の種類: obvious=見抜きやすい、subtle=見抜きにくい。"
        "省略すると申し込みで選ばれた種類(おまかせなら obvious)。"
    ),
)
@click.option(
    "--late",
    is_flag=True,
    help="日程を決めたあとに確認が済んだ参加者だけを、同じ文面で追加します。",
)
@click.option("--no-mail", is_flag=True, help="責任者に送信期間とチェックシートのリンクをメールしません。")
@json_option()
@click.pass_obj
def schedule_command(
    env: Env,
    application_id: str,
    start: datetime | None,
    days: int,
    month_text: str | None,
    variant: str | None,
    late: bool,
    no_mail: bool,
    as_json: bool,
) -> None:
    """確認済みの申込の、訓練の日程を決めます。

    訓練メールを送れる参加者(責任者と同じドメインの人か、自分で確認を済ませた人)に、
    営業時間内(平日 9:00〜17:00、祝日と年末年始を除く)のばらばらの時刻で 1 通ずつ予約します。
    確認が済んでいない参加者は一覧に出るだけで、送りません。
    予約したメールは `campaign send-due` が時刻になったら送ります(`make run` の中では 1 分ごと)。
    責任者には、送信期間(時刻は知らせません)とチェックシートのリンクをメールします。
    申込ID は頭の数文字だけでも使えます。
    """
    month = _parse_month(month_text)  # wrong usage first, before the store is read
    application_id = resolve_application_id(env, application_id)
    first_day: date | None = start.date() if start else None
    try:
        if late:
            result = schedule_late(env.deps(), application_id, start=first_day)
        else:
            result = schedule(
                env.deps(), application_id, start=first_day, days=days, month=month, variant=variant
            )
    except ScheduleError as exc:
        fail(f"{schedule_refusal(exc)}(理由コード: {exc.code})")
    link = sheet_url(env.deps(), result.application_id)
    mailed = ""
    if not no_mail:
        try:
            send_schedule_notice(env.deps(), result)
            mailed = "責任者にメールしました"
        except MailError as exc:
            err.print(
                f"[yellow]注意:[/] 責任者へのメールを送れませんでした({escape(str(exc))})。"
                "下のリンクを責任者に伝えてください。"
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
                "seminar_by": result.seminar_by.isoformat() if result.seminar_by else None,
                "before_seminar": result.before_seminar,
            }
        )
        return
    if result.before_seminar:
        err.print(
            f"[yellow]注意:[/] 送信期間が、セミナー視聴の期限({result.seminar_by})より前に始まります。"
            "受付メールでお伝えした順番(セミナーが先)にするには --start で後の日を選んでください。"
        )
    table = Table(title=f"訓練 {result.application_id}(文面 {result.template})", box=box.SIMPLE_HEAD)
    table.add_column("送信予定(日本時間)")
    table.add_column("参加者")
    for m in result.messages:
        table.add_row(jst(m.send_at), m.email)
    out.print(table)
    out.print(f"送信期間: {jst(result.window_start)} 〜 {jst(result.window_end)}(日本時間)")
    out.print(f"チェックシート({mailed or 'メールはしていません'}): {link}", soft_wrap=True)
    if result.refused:
        out.print(
            "[yellow]予約しなかった参加者(本人の確認がまだです):[/] " + escape("、".join(result.refused)),
        )


# -- send-due -----------------------------------------------------------------------------------


@contextmanager
def _progress(total: int, enabled: bool) -> Iterator[Callable[[Outcome], None]]:
    if not enabled or total == 0:
        yield lambda _outcome: None
        return
    with Progress(
        TextColumn("送信中"), BarColumn(), MofNCompleteColumn(), console=err, transient=True
    ) as progress:
        task = progress.add_task("send", total=total)
        yield lambda _outcome: progress.advance(task)


@click.command(name="send-due", cls=JaCommand)
@click.option(
    "--dry-run", is_flag=True, help="送る時刻になったものを一覧にするだけで、送りも変えもしません。"
)
@json_option()
@click.pass_obj
def send_due_command(env: Env, dry_run: bool, as_json: bool) -> None:
    """送る時刻になった訓練メール(とワンショット体験の見本メール)を送ります。

    いつ何度動かしても、2 つ同時に動かしても大丈夫です。同じ人に同じメールが 2 通届くことはありません。
    一時的に断られたもの(SMTP 4xx、接続切れ、送りすぎの制限)は、間をあけて次の回に送り直します。
    送れないと決まったもの(SMTP 5xx、存在しないアドレス)は「失敗」として記録します
    (`campaign requeue` で送り直せます)。
    送信サービスがすべてを断るとき(SES の一時停止・送りすぎの制限・未確認、中継サーバーにつながらない・
    ログインできない)は、その回を止め、メールはすべて送信予定のまま残します。
    1 秒あたり CAMPAIGN_SEND_RATE 通(既定 5 通)までの速さで送ります。
    送れないと決まったメールがあるか、回を止めたときは、終了コードは 1 です。
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
            table = Table(title="いま送るもの" if dry_run else "この回に送ったもの", box=box.SIMPLE_HEAD)
            table.add_column("結果")
            table.add_column("参加者", overflow="fold", min_width=20)
            table.add_column("メール", overflow="fold")
            table.add_column("くわしく" if not dry_run else "送信予定(日本時間)", overflow="fold")
            for o in summary.outcomes:
                table.add_row(
                    OUTCOME_LABELS.get(o.result, o.result),
                    o.email,
                    o.key,
                    jst(o.detail) if o.result == "due" else escape(o.detail),
                )
            out.print(table)
        parts = [f"{OUTCOME_LABELS.get(name, name)} {n} 通" for name, n in sorted(results.items())]
        if summary.queued_oneshots:
            verb = "予約する予定" if dry_run else "予約しました"
            parts.append(f"ワンショット体験 {summary.queued_oneshots} 件を{verb}")
        text = "、".join(parts) if parts else "いま送るものはありません"
        out.print(("試しに確かめただけです(送っていません): " if dry_run else "") + text)
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


@click.command(cls=JaCommand)
@click.argument("application_id", metavar="申込ID")
@json_option()
@click.pass_obj
def show(env: Env, application_id: str, as_json: bool) -> None:
    """1 件の訓練の様子: 参加者ごとの送信の状態と、人が開封・クリックした時刻。

    メールの検査装置やリンクのプレビューによる開封・クリックは、人とは別に数えます(「機械」)。
    画像を読み込まないメールソフトでは開封が記録されないため、「未開封」は「わからない」こともあります。
    申込ID は頭の数文字だけでも使えます。
    """
    drill = require_drill(env, application_id)
    application_id = drill.key
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
                "template": drill.template,
                **counts.as_dict(),
                "participants": rows,
            }
        )
        return
    table = Table(title=f"訓練 {application_id}(文面 {drill.template})", box=box.SIMPLE_HEAD)
    table.add_column("参加者", overflow="fold", min_width=16)
    table.add_column("状態", overflow="fold")
    for column in ("送信(予定)", "開封", "クリック"):
        table.add_column(column)
    table.add_column("機械", justify="right")
    table.caption = "時刻は日本時間(月-日 時:分)"
    for row in sorted(rows, key=lambda r: str(r["send_at"])):
        state = str(row["state"])
        table.add_row(
            str(row["email"]),
            STATE_LABELS.get(state, state) + (f"({escape(str(row['error']))})" if state == "failed" else ""),
            jst(row["sent_at"])[5:] if row["sent_at"] else f"({jst(row['send_at'])[5:]})",
            jst(row["opened_at"])[5:],
            jst(row["clicked_at"])[5:],
            str(row["machine_hits"]),
        )
    out.print(table)
    out.print(
        f"送信 {counts.sent} 通、開封 {counts.opened} 人、クリック {counts.clicked} 人"
        f"(人の分だけ。機械による {counts.machine_hits} 回は数えていません)"
    )


@click.command(cls=JaCommand)
@click.argument("application_id", metavar="申込ID")
@click.pass_obj
def sheet(env: Env, application_id: str) -> None:
    """責任者のチェックシートのリンクを、もう一度出します(今から 60 日間使えます)。

    このリンクは `campaign schedule` のときに責任者へメールしています。そのメールが見つからないと
    言われたときに使ってください。リンクを開くと、参加者ごとに、報告したか・いつ報告したか・
    どう対応したか・備考を書き込めます。責任者本人にだけ伝えてください。
    申込ID は頭の数文字だけでも使えます。
    """
    application_id = require_drill(env, application_id).key
    env.audit_line("sheet", {"application_id": application_id})
    click.echo(sheet_url(env.deps(), application_id))
