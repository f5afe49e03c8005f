"""The dashboard over 1,000 synthetic companies (faker `ja_JP`): every number matches what was
written, small groups never show, the page is self-contained, CSV is formula-safe with a BOM."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bench.hq import NOW, Expected, synthetic_campaign
from campaign_core.clock import FixedClock
from campaign_core.deps import Deps
from campaign_core.drill_checks import COMPLAINED, FORWARDED, note_report
from campaign_core.drill_records import DrillMessage
from campaign_core.records import MESSAGE
from campaign_core.store.sqlite import SQLiteStore
from cli.main import cli
from drill_sender.services.checksheet import save_sheet
from drill_sender.services.report import build_report
from hq import audit
from hq.stats import MIN_GROUP, OTHER, Stats, build_stats, load_rows
from hq.stats_output import render_csv, render_html
from tests.support import TEST_SECRET
from tests.support.drill import SentDrill, staff


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Expected, Stats]:
    folder = tmp_path_factory.mktemp("stats")
    store = SQLiteStore(folder / "campaign.sqlite3")
    expected = synthetic_campaign(store, companies=1000)
    stats = build_stats(load_rows(store), NOW)
    store.close()
    return folder, expected, stats


def test_numbers_match_what_was_written(campaign: tuple[Path, Expected, Stats]) -> None:
    _, expected, stats = campaign
    assert stats.totals == {"seminar": expected.seminar, "drill": expected.drill, "oneshot": expected.oneshot}
    drill = stats.confirmation["drill"]
    assert (drill["confirmed"], drill["expired"], drill["waiting"]) == (
        expected.drill_states["accepted"],
        expected.drill_states["expired"],
        expected.drill_states["waiting"],
    )
    assert [count for _, count in stats.funnel] == expected.funnel
    assert expected.funnel[0] > expected.funnel[1] > expected.funnel[2] > expected.funnel[3] > 0
    by_variant = {o.label: o for o in stats.variants}
    for key, label in (("obvious", "見抜きやすい文面"), ("subtle", "見抜きにくい文面")):
        assert by_variant[label].sent == expected.sent[key]
        assert by_variant[label].reported == expected.reported[key]
        assert by_variant[label].clicked == expected.clicked[key]
    assert by_variant["見抜きやすい文面"].rate(by_variant["見抜きやすい文面"].reported) > by_variant[
        "見抜きにくい文面"
    ].rate(by_variant["見抜きにくい文面"].reported)
    assert sum(o.sent for o in stats.months) == sum(expected.sent.values())
    assert sum(count for _, count in stats.by_chamber) == expected.drill_states["accepted"]
    assert sum(stats.membership.values()) > 0


def test_groups_under_five_companies_are_folded(campaign: tuple[Path, Expected, Stats]) -> None:
    _, expected, stats = campaign
    small = {name for name, count in expected.chambers.items() if count < MIN_GROUP}
    assert small, "the synthetic campaign has small chambers"
    shown = dict(stats.by_chamber)
    assert not small & set(shown)
    assert shown[OTHER] == sum(expected.chambers[name] for name in small)
    assert all(count >= MIN_GROUP for name, count in stats.by_chamber if name != OTHER)
    html = render_html(stats)
    assert not any(name in html for name in small)
    small_prefectures = {name for name, count in expected.prefectures.items() if count < MIN_GROUP}
    assert all(name not in dict(stats.by_prefecture) for name in small_prefectures)


def test_page_is_self_contained(campaign: tuple[Path, Expected, Stats]) -> None:
    _, _, stats = campaign
    html = render_html(stats)
    assert html.count("<svg") >= 5
    assert "<script" not in html
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", html)
    assert "@page { size: A4" in html
    assert not any(address in html for address in ("officer@", "@c1.example.jp"))


def test_date_range_counts_only_those_days(campaign: tuple[Path, Expected, Stats]) -> None:
    folder, _, whole = campaign
    store = SQLiteStore(folder / "campaign.sqlite3")
    october = build_stats(load_rows(store), NOW, start=date(2026, 10, 1), end=date(2026, 10, 31))
    store.close()
    assert 0 < october.totals["drill"] < whole.totals["drill"]
    assert all(date(2026, 9, 28) <= w.monday <= date(2026, 10, 31) for w in october.weeks)


def test_cli_writes_html_or_csv_prints_a_summary_and_audits(
    campaign: tuple[Path, Expected, Stats], tmp_path: Path
) -> None:
    folder, expected, _ = campaign
    environment = {
        "CAMPAIGN_DATA_DIR": str(folder),
        "CAMPAIGN_SECRET_KEY": TEST_SECRET,
        "CAMPAIGN_STORE": "sqlite",
        "CAMPAIGN_NOW": NOW.isoformat(),
        "CAMPAIGN_STAFF": "honbu-kato",
    }
    page = tmp_path / "stats.html"
    result = CliRunner().invoke(cli, ["stats", "--out", str(page)], env=environment, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"訓練 {expected.drill} 件" in result.output
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")

    table = tmp_path / "stats.csv"
    args = ["stats", "--format", "csv", "--out", str(table)]
    result = CliRunner().invoke(cli, args, env=environment, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    raw = table.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    weekly = [r for r in rows if r[0] == "週ごとのお申し込み"]
    assert sum(int(r[3]) for r in weekly) == expected.drill
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)

    store = SQLiteStore(folder / "campaign.sqlite3")
    lines = [r.data for r in audit.lines(store) if r.data["command"] == "stats"]
    store.close()
    assert sorted(line["details"]["format"] for line in lines) == ["csv", "html"]
    assert all(line["who"] == "honbu-kato" for line in lines)
    refused = CliRunner().invoke(
        cli, ["stats", "--from", "2026-12-01", "--to", "2026-11-01"], env=environment
    )
    assert refused.exit_code == 2


def test_csv_cells_are_formula_safe() -> None:
    from hq.stats import Outcome

    stats = Stats(
        start=None,
        end=None,
        generated_at=NOW,
        weeks=(),
        confirmation={"drill": {}, "oneshot": {}},
        by_chamber=(("=cmd|'/c calc'!A1", 7),),
        by_prefecture=(),
        membership={},
        funnel=(),
        months=(Outcome("2026-10", 3, 30, 10, 2, 12.0),),
        variants=(),
    )
    rows = list(csv.reader(io.StringIO(render_csv(stats).decode("utf-8-sig"))))
    assert ["商工会議所別(訓練)", "'=cmd|'/c calc'!A1", "7", "", "", ""] in rows
    assert ["月別", "2026-10", "5社未満", "", "", ""] in rows


def test_reports_count_as_the_drill_report_counts_them(
    deps: Deps, clock: FixedClock, sent: Callable[..., SentDrill]
) -> None:
    # The dashboard and the drill's own report share one rule (`DrillCheck.report_time`).
    store = deps.store
    drill = sent(count=2)
    keys = {DrillMessage.from_record(r).email: r.key for r in store.query(MESSAGE)}
    first, second = staff(2)
    clock.advance(timedelta(minutes=30))
    assert note_report(store, keys[first], COMPLAINED, clock.now())  # marked as junk: a report
    stats = build_stats(load_rows(store), clock.now())
    report = build_report(deps, drill.application_id)
    assert sum(o.reported for o in stats.variants) == report.rates.reported == 1
    assert [o.median_minutes for o in stats.variants if o.sent] == [report.rates.median_minutes]

    # A forward the officer overruled afterwards ("no report") counts in neither.
    assert note_report(store, keys[second], FORWARDED, clock.now())
    clock.advance(timedelta(hours=1))
    assert save_sheet(deps, drill.application_id, {f"reported-{keys[second]}": "no"}) == {}
    stats = build_stats(load_rows(store), clock.now())
    report = build_report(deps, drill.application_id)
    assert sum(o.reported for o in stats.variants) == report.rates.reported == 1
