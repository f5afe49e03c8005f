"""The privacy page states the retention periods `campaign purge` applies, from the same settings."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from site_build import PageContext
from site_build.retention import period_label, render_retention

from hq.retention import Retention


def _cells(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", html, re.S)]


def test_built_privacy_page_states_the_default_periods(built_site: Path) -> None:
    html = (built_site / "privacy" / "index.html").read_text(encoding="utf-8")
    defaults = Retention()
    cells = _cells(html[html.index('id="retention"') :])
    assert cells[0].startswith(f"記録した日から {period_label(defaults.tracking_days)}。")
    assert cells[1].endswith(period_label(defaults.records_days))
    assert cells[2].endswith(period_label(defaults.unconfirmed_days))
    assert "<caption>情報ごとの保管期間</caption>" in html


def test_periods_follow_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMPAIGN_RETAIN_TRACKING_DAYS", "45")
    monkeypatch.setenv("CAMPAIGN_RETAIN_RECORDS_DAYS", "730")
    ctx = PageContext(page_url="privacy/", site_url="http://example.jp/", built_at=datetime.now(UTC))
    cells = _cells(render_retention(ctx, {}))
    assert cells[0].startswith("記録した日から 45日。")
    assert cells[1].endswith("2年")
    assert cells[2].endswith("30日")


@pytest.mark.parametrize(("days", "label"), [(90, "90日"), (365, "1年"), (1095, "3年"), (1200, "1,200日")])
def test_period_labels(days: int, label: str) -> None:
    assert period_label(days) == label
