"""The report subcommands of `campaign` (registered on its group by `cli/main.py`):

    campaign report APPLICATION_ID [--format html|csv|pdf] [--output FILE] [--send | --hold]
    campaign feedback [CHAMBER] [--branch CODE] [--from DATE] [--to DATE] [--format html|csv]
                      [--output FILE] [--send]

Both write an audit line (ids, filters, format and counts).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import click
from rich import box
from rich.markup import escape
from rich.table import Table

from campaign_core.drill_records import Drill
from campaign_core.mail import MailError
from campaign_core.records import DRILL
from cli.branches import branch_option, require_branch
from cli.drill import require_drill
from cli.japanese import JaCommand
from cli.output import DAY, check_order, document_options, err, fail, out, write_document
from cli.printing import html_to_pdf
from drill_sender.services.feedback import (
    Feedback,
    UnknownChamber,
    build_feedback,
    chambers_of,
    find_chamber,
    send_feedback,
)
from drill_sender.services.feedback import render_csv as feedback_csv
from drill_sender.services.feedback import render_html as feedback_html
from drill_sender.services.notices import send_report_notice
from drill_sender.services.report import build_report, render_csv, render_html, report_url
from drill_sender.services.report_due import hold_report, mark_report_sent

if TYPE_CHECKING:
    from cli.main import Env


@click.command(name="report", cls=JaCommand)
@click.argument("application_id", metavar="申込ID")
@document_options(
    send_help="責任者に、レポートを見るリンク(HTML と CSV)もメールします。", formats=("html", "csv", "pdf")
)
@click.option(
    "--hold",
    is_flag=True,
    help=(
        "レポートの自動送信を止めます(報告期間が過ぎても責任者に送りません)。"
        "送るときは --send を付けて実行します。"
    ),
)
@click.pass_obj
def report_command(env: Env, application_id: str, fmt: str, output: str, send: bool, hold: bool) -> None:
    """1 件の訓練のレポートを作ります。

    参加者ごとに、開封したか(した・しない・わからない)、開封・クリック・報告の時刻、開封から
    報告までの時間、対応と備考。はじめに報告した人の割合と報告までの時間(中央値)を、
    キャンペーン全体の平均と並べて載せます。
    HTML は A4 で印刷できます。PDF はそのページを A4 の紙にしたもので、印刷して郵送できます。
    CSV は Excel でそのまま開けます(UTF-8、BOM 付き。数式として
    動いてしまう値は文字として書きます)。申込ID は頭の数文字だけでも使えます。
    """
    application_id = require_drill(env, application_id).key
    deps = env.deps()
    if hold and send:
        fail("--hold と --send は同時に指定できません。")
    if hold:
        hold_report(deps, application_id)
        env.audit_line("report", {"application_id": application_id, "hold": True})
        err.print(
            "自動送信を止めました。送るときは `campaign report ID --send` を実行してください。",
            soft_wrap=True,
        )
        return
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
        summary = (
            f"報告 {rates.reported}/{rates.sent} 人、開封 {rates.opened} 人、クリック {rates.clicked} 人"
        )
        out.print(f"{escape(output)} に書き出しました: {summary}", soft_wrap=True)
    if send:
        try:
            send_report_notice(deps, application_id)
        except MailError as exc:
            fail(f"レポートのメールを送れませんでした: {exc}")
        mark_report_sent(deps, application_id, "staff")
        # The report mail carries the membership offer: HQ's leads show it was made.
        env.store.update(DRILL, application_id, Drill.changes(membership_offered_at=deps.now()))
        err.print(
            f"責任者にリンクをメールしました: {escape(report_url(deps, application_id))}", soft_wrap=True
        )


@click.command(name="feedback", cls=JaCommand)
@click.argument("chamber", metavar="[商工会議所]", required=False)
@branch_option("この支部が受け持つ商工会議所すべての一覧を、まとめて扱います(コード例: hokkaido)。")
@click.option("--from", "start", type=DAY, help="この日から(日本時間の日付)。")
@click.option("--to", "end", type=DAY, help="この日まで(日本時間の日付)。")
@document_options(
    send_help="一覧(CSV 添付)を商工会議所の担当者にメールします。署名と返信先は受け持ちの支部です。"
)
@click.pass_obj
def feedback_command(
    env: Env,
    chamber: str | None,
    branch: str | None,
    start: datetime | None,
    end: datetime | None,
    fmt: str,
    output: str,
    send: bool,
) -> None:
    """商工会議所ごとに、訓練に参加した会社の一覧を作ります。

    商工会議所は content/chambers.yml のコード(例: sapporo)か名前で指定します。
    --branch を付けると、その支部が受け持つ商工会議所ごとに件数を表にし、--send ですべてに送ります。
    送信期間の初日が --from〜--to(日本時間、両日を含む)の訓練を数えます。
    会社ごとに、会社名・事業所・都道府県・会員かどうか・開始日・参加人数・終わったかどうかを載せます。
    一人ひとりの結果は載せません。
    """
    first, last = (start.date() if start else None), (end.date() if end else None)
    check_order(first, last)
    if chamber is None:
        if not branch:
            raise click.UsageError("商工会議所か --branch を指定してください。")
        if output != "-":
            raise click.UsageError(
                "--branch だけのときは --output を使えません(商工会議所ごとに 1 つずつ作ります)。"
            )
        _feedback_of_branch(env, branch, first, last, send)
        return
    deps = env.deps()
    try:
        found = find_chamber(deps, chamber)
    except UnknownChamber:
        fail(
            f"「{chamber}」という商工会議所は content/chambers.yml にありません"
            "(コード例: sapporo、または名前)。"
        )
    if branch and found.branch != require_branch(env, branch).code:
        fail(f"{found.name} は支部「{branch}」の受け持ちではありません。")
    built = build_feedback(deps, found, start=first, end=last)
    data = feedback_csv(built) if fmt == "csv" else feedback_html(built).encode("utf-8")
    write_document(output, data)
    _audit(env, built, fmt=fmt, to_file=output != "-", send=send)
    if output != "-":
        out.print(
            f"{escape(output)} に書き出しました: {found.name}の会社 {len(built.rows)} 社", soft_wrap=True
        )
    if send:
        _send(env, built)


def _feedback_of_branch(env: Env, branch: str, first: date | None, last: date | None, send: bool) -> None:
    found = require_branch(env, branch)
    deps = env.deps()
    table = Table(title=f"{found.name}が受け持つ商工会議所", box=box.SIMPLE_HEAD)
    table.add_column("コード", no_wrap=True)
    table.add_column("商工会議所")
    table.add_column("参加した会社", justify="right")
    table.add_column("メール", overflow="fold")
    for chamber in chambers_of(deps, found):
        built = build_feedback(deps, chamber, start=first, end=last)
        _audit(env, built, fmt="table", to_file=False, send=send and bool(built.rows))
        mailed = ""
        if send and built.rows:
            _send(env, built)
            mailed = "送りました"
        table.add_row(chamber.code, chamber.name, f"{len(built.rows)} 社", mailed)
    out.print(table)
    if not send:
        out.print("一覧を見るときは商工会議所のコードを付けて、送るときは --send を付けて実行してください。")


def _audit(env: Env, built: Feedback, *, fmt: str, to_file: bool, send: bool) -> None:
    env.audit_line(
        "feedback",
        {
            "chamber": built.chamber.code,
            "from": built.start.isoformat() if built.start else "",
            "to": built.end.isoformat() if built.end else "",
            "format": fmt,
            "to_file": to_file,
            "companies": len(built.rows),
            "send": send,
        },
    )


def _send(env: Env, built: Feedback) -> None:
    try:
        send_feedback(env.deps(), built)
    except (MailError, ValueError) as exc:
        fail(f"{built.chamber.name}あての一覧のメールを送れませんでした: {exc}")
    err.print(f"{escape(built.chamber.contact_email)} にメールしました", soft_wrap=True)
