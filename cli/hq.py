"""HQ's subcommands of `campaign` (registered on its group by `cli/main.py`):

    campaign leads [--since DATE] [--chamber sapporo] [--format csv|table] [--output FILE]
    campaign purge [--json]
    campaign forget EMAIL [--yes] [--json]
    campaign audit [--since DATE] [--json]
    campaign stats [--from DATE] [--to DATE] [--branch CODE] [--out FILE.html] [--format html|csv]

Every one of them writes an audit line (who: `CAMPAIGN_STAFF` or the OS user; when; what, as counts
and filters, never an address). The subcommands reach the store, clock and settings through the
group's context object (`cli.main.Env`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

import click
from rich.markup import escape
from rich.table import Table

from campaign_core.clock import JST, Clock, parse_instant
from campaign_core.form_records import DrillApplication, SeminarSignup
from campaign_core.records import APPLICATION, CHECK, DRILL, EVENT, MESSAGE, NOTICE, SIGNUP
from campaign_core.settings import Settings
from campaign_core.store import Record, Store
from cli.branches import Belongs, belongs_to, branch_option, require_branch
from cli.japanese import JaCommand
from cli.output import check_order, emit_json, err, format_option, json_option, out, output_option
from hq import audit
from hq.forget import forget
from hq.leads import build_leads
from hq.leads import render_csv as leads_csv
from hq.retention import purge_and_audit
from hq.stats import Rows, build_stats, load_rows
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
        raise click.BadParameter(
            f"「{text}」は日付として読めません。2026-12-01 のように書いてください。", param_hint=option
        ) from exc


@click.command(name="leads", cls=JaCommand)
@click.option("--since", metavar="YYYY-MM-DD", help="この日(日本時間)以降に同意した人だけ。")
@click.option(
    "--chamber", metavar="商工会議所", help="この商工会議所の人だけ(コード例: sapporo、または名前)。"
)
@format_option(("table", "csv"), "table(画面に表)か csv(Excel 用)。")
@output_option("CSV をこのファイルに書き出します(指定しないときは画面に出します)。")
@click.pass_obj
def leads_command(env: HQEnv, since: str | None, chamber: str | None, fmt: str, output: str | None) -> None:
    """連絡してよいと同意した非会員の一覧: 参加したもの、商工会議所、同意文の版と同意した日時。

    CSV は Excel でそのまま開けます(UTF-8、BOM 付き。数式として動いてしまう値は文字として書きます)。
    同意(版と日時)の記録があるものだけを数えます。訓練の申込は責任者がアドレスを確認したあとのものだけで、
    届かなかったアドレスや苦情のあったアドレスは載せません。
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
            err.print(f"{escape(output)} に {len(found)} 件書き出しました")
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        return
    table = Table(title=f"会員になってくれそうな方: {len(found)} 件", title_justify="left")
    for header in ("メール", "会社", "商工会議所", "参加したもの", "同意"):
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


@click.command(name="purge", cls=JaCommand)
@json_option("まとめの文ではなく JSON で出します。")
@click.pass_obj
def purge_command(env: HQEnv, as_json: bool) -> None:
    """保存期間を過ぎたデータを消します(設定した保存先と、ローカルの送信メール控え)。

    期間(日数)は次の設定で決まります: CAMPAIGN_RETAIN_TRACKING_DAYS(開封・クリックの記録、90)、
    CAMPAIGN_RETAIN_RECORDS_DAYS(申込・訓練・レポート、1095)、
    CAMPAIGN_RETAIN_UNCONFIRMED_DAYS(確認されなかった申込、30)、
    CAMPAIGN_RETAIN_OUTBOX_DAYS(ローカルの送信メール控え、90)。
    ローカルのサーバーは 1 日 1 回これを動かします。
    """
    summary = run_purge(env)
    if as_json:
        emit_json(summary)
        return
    deleted = summary["deleted"]
    out.print(
        f"保存期間を過ぎたデータを消しました: 記録 {sum(deleted.values())} 件"
        + (f"({'、'.join(f'{k} {v}' for k, v in deleted.items())})" if deleted else "")
        + f"、開封・クリックの記録 {summary['settled_events']} 件をまとめ、"
        f"送信メール控え {summary['outbox_files']} 件を削除。"
    )


def run_purge(env: HQEnv, *, who: str | None = None) -> dict[str, Any]:
    """Purge and write the audit line (also called by the local server's daily job)."""
    _ = env.settings  # bad settings stop here with a clear message, before anything is touched
    return purge_and_audit(env.store, env.clock, env.settings, who=who)


@click.command(name="forget", cls=JaCommand)
@click.argument("email", metavar="メールアドレス")
@click.option("--yes", is_flag=True, help="確かめの質問をしません。")
@json_option("まとめの文ではなく JSON で出します。")
@click.pass_obj
def forget_command(env: HQEnv, email: str, yes: bool, as_json: bool) -> None:
    """1 人分のデータを、すべての場所から消すか名前のない形にします(個人情報保護法による削除の依頼)。

    セミナーの申込とワンショット体験の申込は消します。訓練の申込からは、そのアドレス(と責任者の名前)を消します。
    送った訓練メールは、会社のレポートのために名前のない件数だけを残します。
    そのアドレスが書かれたローカルの送信メール控えも消します。
    監査ログには、消したことと何を消したかを、アドレスなしで残します。
    """
    if "@" not in email:
        raise click.BadParameter("メールアドレスではありません。", param_hint="メールアドレス")
    if not yes:
        click.confirm(
            "この人のデータを、すべての場所から消します。元には戻せません。よろしいですか", abort=True
        )
    summary = forget(env.store, email, outbox_dir=env.settings.outbox_dir, machine=env.settings.machine)
    details = summary.as_dict()
    audit.record(env.store, env.clock, "forget", details)
    if as_json:
        emit_json(details)
        return
    if not summary.found:
        out.print("このアドレスのデータはありませんでした(依頼があったことは監査ログに残しました)。")
        return
    touched = {**{f"削除 {k}": v for k, v in details["deleted"].items()}}
    touched.update({f"名前をなくした {k}": v for k, v in details["anonymised"].items()})
    parts = [f"{k} {v} 件" for k, v in touched.items()]
    if summary.outbox_files:
        parts.append(f"送信メール控え {summary.outbox_files} 件")
    out.print("消しました: " + "、".join(parts) + "。")


@click.command(name="audit", cls=JaCommand)
@click.option("--since", metavar="YYYY-MM-DD", help="この日(日本時間)からの行だけ。")
@json_option()
@click.pass_obj
def audit_command(env: HQEnv, since: str | None, as_json: bool) -> None:
    """監査ログ: 個人データにかかわるコマンドを、だれが・いつ・何に対して動かしたか。"""
    start = _instant(since, "--since")
    found = audit.lines(env.store, since=start)
    if as_json:
        emit_json([r.data for r in found])
        return
    table = Table(title=f"監査ログ: {len(found)} 行", title_justify="left")
    for header in ("日時(日本時間)", "だれが", "コマンド", "内容"):
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


@click.command(name="stats", cls=JaCommand)
@click.option("--from", "start", metavar="YYYY-MM-DD", help="数える申込の最初の日(日本時間)。例 2026-10-01")
@click.option("--to", "end", metavar="YYYY-MM-DD", help="数える申込の最後の日(日本時間)。")
@branch_option("この支部が受け持つ会社の分だけ数えます(コード例: hokkaido)。")
@format_option(("html", "csv"), "html(印刷・閲覧用のページ)か csv(Excel 用)。")
@output_option("このファイルに書き出します(既定: いまのフォルダの campaign-stats.html か .csv)。", "--out")
@click.pass_obj
def stats_command(
    env: HQEnv, start: str | None, end: str | None, branch: str | None, fmt: str, output: str | None
) -> None:
    """キャンペーンの集計: 1 枚で完結する HTML ページ(グラフ入り、A4 で印刷可)か同じ数字の CSV と、
    ここに短いまとめを出します。

    週ごとの申込(セミナー・訓練・ワンショット体験)、確認済みと期限切れ、商工会議所別・都道府県別の訓練、
    会員と非会員、セミナー → 訓練 → 報告 → フォローアップの流れ、月ごとの報告率と報告までの時間、
    見抜きやすい文面と見抜きにくい文面の比べ。会社ごとの数字は出しません。
    5 社に満たない区分は、まとめるか出さないようにします。
    """
    first, last = _day(start, "--from"), _day(end, "--to")
    check_order(first, last)
    rows = load_rows(env.store)
    if branch:
        rows = rows_of_branch(rows, belongs_to(env, require_branch(env, branch)))
    result = build_stats(rows, env.clock.now(), start=first, end=last, machine=env.settings.machine)
    path = Path(output or f"campaign-stats.{fmt}")
    path.write_bytes(render_csv(result) if fmt == "csv" else render_html(result).encode("utf-8"))
    audit.record(
        env.store,
        env.clock,
        "stats",
        {"from": start or "", "to": end or "", "branch": branch or "", "format": fmt},
    )
    for line in summary_lines(result):
        out.print(escape(line), soft_wrap=True)
    out.print(f"{escape(str(path))} に書き出しました")


def rows_of_branch(rows: Rows, belongs: Belongs) -> Rows:
    """The dashboard's records of one branch's companies: its applications and seminar signups, and
    the drill records of those applications (one-shot requests name no chamber: left out)."""
    applications = [r for r in rows[APPLICATION] if belongs(DrillApplication.from_record(r))]
    ids = {r.key for r in applications}
    kept: dict[str, Sequence[Record]] = {
        APPLICATION: applications,
        SIGNUP: [r for r in rows[SIGNUP] if belongs(SeminarSignup.from_record(r))],
        DRILL: [r for r in rows[DRILL] if r.key in ids],
    }
    for kind in (MESSAGE, EVENT, CHECK, NOTICE):
        kept[kind] = [r for r in rows[kind] if str(r.data.get("application_id", "")) in ids]
    return Rows(kept)


HQ_COMMANDS = (leads_command, purge_command, forget_command, audit_command, stats_command)
