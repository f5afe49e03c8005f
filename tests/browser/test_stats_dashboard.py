"""The dashboard in Chromium: at 360 px the charts are there and the page does not scroll sideways,
axe-core finds nothing, and the page asks no host for anything."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser

from bench.hq import NOW, synthetic_campaign
from campaign_core.store.sqlite import SQLiteStore
from hq.stats import build_stats, load_rows
from hq.stats_output import render_html
from tests.support.browser import axe_violations

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dashboard")
    store = SQLiteStore(folder / "campaign.sqlite3")
    synthetic_campaign(store, companies=1000)
    page = folder / "stats.html"
    page.write_text(render_html(build_stats(load_rows(store), NOW)), encoding="utf-8")
    store.close()
    return page


@pytest.mark.parametrize("width", [360, 1280])
def test_dashboard_reads_at_phone_and_desktop_width(browser: Browser, dashboard: Path, width: int) -> None:
    context = browser.new_context(locale="ja-JP", viewport={"width": width, "height": 800})
    tab = context.new_page()
    requests: list[str] = []
    tab.on("request", lambda request: requests.append(request.url))
    tab.goto(dashboard.as_uri())
    tab.wait_for_load_state("networkidle")

    assert requests == [dashboard.as_uri()]
    assert tab.evaluate("document.documentElement.scrollWidth") <= width
    charts = tab.locator("svg")
    assert charts.count() >= 5
    weekly = tab.locator("svg.chart")
    assert weekly.get_attribute("role") == "img" and weekly.locator("rect").count() > 30
    box = weekly.bounding_box()
    assert box is not None and box["width"] > min(width, 960) * 0.8 and box["height"] > 80
    bars = tab.locator(".bars__bar").first.bounding_box()
    assert bars is not None and bars["width"] > 40
    label_size = tab.locator(".bars__label").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert label_size >= 14
    assert axe_violations(tab) == []
    context.close()


def test_dashboard_prints_on_a4(browser: Browser, dashboard: Path) -> None:
    context = browser.new_context(locale="ja-JP")
    tab = context.new_page()
    tab.goto(dashboard.as_uri())
    pdf = tab.pdf(prefer_css_page_size=True)
    context.close()
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    first = reader.pages[0].mediabox
    assert (round(float(first.width)), round(float(first.height))) == (595, 842)  # A4 in points
    assert 1 < len(reader.pages) < 20
    assert "キャンペーンの状況" in reader.pages[0].extract_text()
