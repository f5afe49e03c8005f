"""The seminars page in a real Chromium: nothing from YouTube until the visitor asks for a video."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from playwright.sync_api import Page, Route

from campaign_core.settings import PROJECT_ROOT
from tests.support.browser import RequestLog

pytestmark = pytest.mark.browser


def videos() -> list[dict[str, Any]]:
    data = yaml.safe_load((PROJECT_ROOT / "content" / "seminars.yml").read_text(encoding="utf-8"))
    return [s for s in data["sessions"] if s.get("youtube_id")]


def test_seminars_page_makes_no_foreign_request_on_load(page: Page, request_log: RequestLog) -> None:
    page.goto("/seminars/", wait_until="networkidle")
    assert request_log.urls, "the request log is not wired"
    assert request_log.foreign() == []
    assert page.locator("iframe").count() == 0
    assert page.locator("a[data-facade-embed]").count() == len(videos())


def test_clicking_a_poster_inserts_the_nocookie_player(page: Page, request_log: RequestLog) -> None:
    # The network is closed: answer the player request ourselves instead of waiting for a timeout.
    def blank(route: Route) -> None:
        route.fulfill(status=204, body="")

    page.route("https://www.youtube-nocookie.com/**", blank)
    page.goto("/seminars/", wait_until="networkidle")
    first = videos()[0]
    page.locator(f"#session-{first['id']} a[data-facade-embed]").click()

    frame = page.locator(f"#session-{first['id']} iframe")
    frame.wait_for()
    assert (
        frame.get_attribute("src")
        == f"https://www.youtube-nocookie.com/embed/{first['youtube_id']}?autoplay=1"
    )
    assert frame.get_attribute("title") == first["title"]
    # The page stays put (no navigation to YouTube) and only the clicked video loaded a player.
    assert page.url.endswith("/seminars/")
    assert page.locator("iframe").count() == 1
    assert [u for u in request_log.foreign() if "youtube-nocookie.com" not in u] == []


def test_poster_is_a_button_that_plays_with_the_space_key(page: Page) -> None:
    page.route("https://www.youtube-nocookie.com/**", lambda route: route.fulfill(status=204, body=""))
    page.goto("/seminars/")
    video = videos()[-1]
    poster = page.get_by_role("button", name=video["title"])
    poster.focus()
    page.keyboard.press("Space")
    frame = page.locator(f"#session-{video['id']} iframe")
    frame.wait_for()
    assert (
        frame.get_attribute("src")
        == f"https://www.youtube-nocookie.com/embed/{video['youtube_id']}?autoplay=1"
    )
    assert page.evaluate("document.activeElement.tagName") == "IFRAME"


def test_without_javascript_each_poster_is_a_link_to_youtube(no_js_page: Page) -> None:
    no_js_page.goto("/seminars/")
    hrefs = no_js_page.locator("a[data-facade-embed]").evaluate_all("els => els.map(e => e.href)")
    assert hrefs == [f"https://www.youtube.com/watch?v={v['youtube_id']}" for v in videos()]
    assert no_js_page.locator("iframe").count() == 0
