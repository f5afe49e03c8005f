"""`campaign applications`: the drill applications and the stage each is at (registered on the
group by `cli/main.py`):

    campaign applications [--status accepted] [--chamber sapporo] [--branch hokkaido] [--json]

`application_rows` also feeds the overview of `campaign` alone (`cli/overview.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click
from rich.markup import escape

from campaign_core.clock import iso, parse_iso
from campaign_core.drill_records import Drill, DrillMessage
from campaign_core.form_records import DrillApplication
from campaign_core.records import DRILL, MESSAGE
from cli.branches import Belongs, belongs_to, branch_option, require_branch
from cli.ids import listed_applications
from cli.japanese import Choice, JaCommand
from cli.output import fmt_name, json_option, jst, out, rows_table
from drill_sender.services.report_due import report_lateness

if TYPE_CHECKING:
    from cli.main import Env

# An application's stages as the listing shows them; their names are what `--stage` accepts.
STAGE_LABELS = {
    "pending": "確認待ち",
    "expired": "期限切れ",
    "accepted": "日程待ち",
    "scheduled": "送信中",
    "sent": "送信済み",
}
STAGES = tuple(STAGE_LABELS)


def _stage(application: DrillApplication, messages: list[DrillMessage], now: datetime) -> str:
    if application.status == "pending":
        deadline = application.confirm_by
        return "expired" if deadline and deadline <= now else "pending"
    if not application.drill_status:
        return "accepted"
    if messages and all(m.state in ("sent", "failed") for m in messages):
        return "sent"
    return "scheduled"


def _report_status(env: Env, drill: Drill | None, now: datetime) -> dict[str, Any]:
    """The report's target (the send window's end + CAMPAIGN_REPORT_TARGET_DAYS, two weeks by
    default), when it went out, whether it is held, and whether it is late against the target."""
    if drill is None:
        return {"report_due": None, "report_sent_at": None, "report_state": None, "report_late": False}
    target, late = report_lateness(env.settings.report.target, drill, now)
    return {
        "report_due": target.isoformat(),
        "report_sent_at": iso(drill.report_sent_at) if drill.report_sent_at else None,
        "report_state": drill.report_state,
        "report_late": late,
    }


def _chamber_matches(application: DrillApplication, wanted: str) -> bool:
    chamber = application.chamber
    return wanted.strip().lower() in {
        str(chamber.get("code", "")).lower(),
        str(chamber.get("name", "")).lower(),
    }


def application_rows(
    env: Env,
    *,
    statuses: tuple[str, ...] = (),
    chamber: str | None = None,
    belongs: Belongs | None = None,
) -> list[dict[str, Any]]:
    """The applications as `campaign applications` lists them (newest first), filtered."""
    now = env.clock.now()
    messages: dict[str, list[DrillMessage]] = {}
    for message in map(DrillMessage.from_record, env.store.query(MESSAGE)):
        messages.setdefault(message.application_id, []).append(message)
    drills = {d.key: Drill.from_record(d) for d in env.store.query(DRILL)}
    rows = []
    for application in map(DrillApplication.from_record, listed_applications(env.store)):
        stage = _stage(application, messages.get(application.key, []), now)
        if statuses and stage not in statuses:
            continue
        if chamber and not _chamber_matches(application, chamber):
            continue
        if belongs and not belongs(application):
            continue
        rows.append(
            {
                "id": application.key,
                "stage": stage,
                "company": application.company,
                "office": application.office,
                "prefecture": application.prefecture,
                "chamber": application.chamber.get("name", ""),
                "member": application.member,
                "participants": len(application.participants),
                "confirmed_participants": len(application.mailable()),
                "applied_at": iso(application.applied_at) if application.applied_at else "",
                "officer_email": application.officer_email,
                **_report_status(env, drills.get(application.key), now),
            }
        )
    rows.sort(key=lambda row: str(row["applied_at"]), reverse=True)
    return rows


@click.command(cls=JaCommand)
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=Choice(STAGES),
    help="この段階の申込だけ出します(何度でも指定できます)。",
)
@click.option(
    "--chamber", metavar="商工会議所", help="この商工会議所の申込だけ(コード例: sapporo、または名前)。"
)
@branch_option("この支部が受け持つ申込だけ(コード例: hokkaido、または名前)。")
@json_option()
@click.pass_obj
def applications(
    env: Env, statuses: tuple[str, ...], chamber: str | None, branch: str | None, as_json: bool
) -> None:
    """訓練の申込を、新しい順に一覧にします。

    段階(--status): pending=責任者の確認待ち、expired=確認されずに期限切れ、
    accepted=確認済みで日程待ち、scheduled=訓練メールの送信待ち・送信中、
    sent=訓練メールをすべて送り終えた(送れなかったものを含む)。
    ID は頭の数文字だけでも、ほかの ID と区別できれば使えます。
    """
    now = env.clock.now()
    belongs = belongs_to(env, require_branch(env, branch)) if branch else None
    rows = application_rows(env, statuses=statuses, chamber=chamber, belongs=belongs)
    env.audit_line(
        "applications",
        {
            "status": list(statuses),
            "chamber": chamber or "",
            "branch": branch or "",
            "format": fmt_name(as_json),
            "rows": len(rows),
        },
    )
    table = rows_table(rows, as_json, empty="条件に合う申込はありません。", title="訓練の申込")
    if table is None:
        return
    table.add_column("ID", no_wrap=True, min_width=32)  # staff copy it into `campaign schedule`
    table.add_column("段階", no_wrap=True)
    table.add_column("会社", overflow="fold")
    table.add_column("商工会議所", overflow="fold")
    table.add_column("人数", no_wrap=True)
    table.add_column("申込日", no_wrap=True, min_width=10)
    table.add_column("レポート", no_wrap=True)
    for row in rows:
        table.add_row(
            str(row["id"]),
            STAGE_LABELS.get(str(row["stage"]), str(row["stage"])),
            escape(" ".join(str(part) for part in (row["company"], row["office"]) if part)),
            escape(str(row["chamber"])),
            f"{row['confirmed_participants']}/{row['participants']}",
            jst(row["applied_at"])[:10],
            report_cell(row, now),
        )
    out.print(table)
    out.print("人数 = 訓練メールを送れる人 / 登録された人。レポート = 送る期限(日本時間)")
    late = sum(1 for row in rows if row["report_late"])
    if late:
        out.print(f"[red]2週間の目標に遅れているレポート: {late} 件[/]")


def report_cell(row: Mapping[str, Any], now: datetime) -> str:
    if row.get("report_sent_at"):
        sent = f"送付済み {jst(row['report_sent_at'])[5:10]}"
        return f"[red]{sent}(遅れ)[/]" if row.get("report_late") else sent
    if not row.get("report_due"):
        return ""
    due = parse_iso(str(row["report_due"]))
    held = " 保留中" if row.get("report_state") == "held" else ""
    return (
        f"[red]{jst(due)[5:10]} 期限切れ{held}[/]"
        if row.get("report_late")
        else f"{jst(due)[5:10]} まで{held}"
    )
