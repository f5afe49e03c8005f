"""HQ's dashboard shown: `render_html` makes one self-contained page (inline SVG charts, inline CSS,
no script) that prints on A4 and reads on a 360 px phone; `render_csv` gives the same numbers for a
spreadsheet; `summary_lines` the short text for the terminal."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import jinja2

from campaign_core.clock import JST
from campaign_core.csvsafe import safe_cell
from campaign_core.jst import minutes_text
from hq.stats import MEMBER_LABELS, MIN_GROUP, Stats

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


def percent(value: float | None) -> str:
    return "-" if value is None else f"{round(100 * value)}%"


def period_text(stats: Stats) -> str:
    start = stats.start.isoformat() if stats.start else "最初"
    end = stats.end.isoformat() if stats.end else "最新"
    return f"{start} ~ {end}"


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)), autoescape=True, undefined=jinja2.StrictUndefined
    )
    env.globals.update(
        percent=percent,
        minutes=minutes_text,
        member_labels=MEMBER_LABELS,
        min_group=MIN_GROUP,
        max=max,
        jst=lambda instant: instant.astimezone(JST).strftime("%Y-%m-%d %H:%M"),
    )
    return env


def render_html(stats: Stats) -> str:
    return _environment().get_template("stats.html").render(s=stats, period=period_text(stats))


def csv_rows(stats: Stats) -> Iterable[tuple[object, ...]]:
    yield ("区分", "項目", "値", "値2", "値3", "値4")
    for week in stats.weeks:
        yield (
            "週ごとのお申し込み",
            week.monday.isoformat(),
            week.seminar,
            week.drill,
            week.oneshot,
            week.total,
        )
    for kind, counts in stats.confirmation.items():
        for state, count in counts.items():
            yield ("確認", f"{kind}:{state}", count, "", "", "")
    for label, count in stats.by_chamber:
        yield ("商工会議所別(訓練)", label, count, "", "", "")
    for label, count in stats.by_prefecture:
        yield ("都道府県別(訓練)", label, count, "", "", "")
    for key, count in stats.membership.items():
        yield ("会員・非会員", MEMBER_LABELS[key], count, "", "", "")
    for label, count in stats.funnel:
        yield ("参加の流れ", label, count, "", "", "")
    for section, outcomes in (("月別", stats.months), ("文面別", stats.variants)):
        for o in outcomes:
            if o.shown:
                yield (
                    section,
                    o.label,
                    o.drills,
                    percent(o.rate(o.reported)),
                    minutes_text(o.median_minutes),
                    percent(o.rate(o.clicked)),
                )
            else:
                yield (section, o.label, f"{MIN_GROUP}社未満", "", "", "")


def render_csv(stats: Stats) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in csv_rows(stats):
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


def summary_lines(stats: Stats) -> list[str]:
    totals = stats.totals
    drill = stats.confirmation["drill"]
    lines = [
        f"期間 {period_text(stats)}: 申し込みはセミナー {totals['seminar']} 件、訓練 {totals['drill']} 件、"
        f"ワンショット体験 {totals['oneshot']} 件",
        f"訓練の申し込み: 確認済み {drill['confirmed']} 件、期限切れ {drill['expired']} 件、"
        f"確認待ち {drill['waiting']} 件",
        "参加の流れ: " + " → ".join(f"{label} {count}" for label, count in stats.funnel),
    ]
    for o in stats.variants:
        if o.shown:
            lines.append(
                f"{o.label}: 訓練 {o.drills} 件、報告率 {percent(o.rate(o.reported))}、"
                f"報告までの時間(中央値) {minutes_text(o.median_minutes)}、"
                f"クリック率 {percent(o.rate(o.clicked))}"
            )
    return lines
