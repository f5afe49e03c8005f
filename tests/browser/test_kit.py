"""The chamber kit in a real Chromium: pick a chamber, copy a snippet, read the clipboard."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
import yaml
from mkdocs.config import load_config
from playwright.sync_api import Browser, Page
from site_build.kit import banner_template, parse_banners, parse_texts, text_template, with_ref

from campaign_core.settings import PROJECT_ROOT
from tests.support.browser import RequestLog

pytestmark = pytest.mark.browser


def content(name: str) -> Any:
    return yaml.safe_load((PROJECT_ROOT / "content" / f"{name}.yml").read_text(encoding="utf-8"))


@cache
def built_site_url() -> str:
    """The absolute site URL the build put into the snippets (mkdocs `site_url`)."""
    return str(load_config(str(PROJECT_ROOT / "mkdocs.yml"))["site_url"])


@pytest.fixture
def clipboard_page(browser: Browser, live_server: str) -> Iterator[Page]:
    context = browser.new_context(locale="ja-JP", base_url=live_server)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    tab = context.new_page()
    yield tab
    context.close()


def test_picked_chamber_code_is_in_the_copied_banner_snippet(clipboard_page: Page) -> None:
    page = clipboard_page
    page.goto("/chambers/")
    chamber = content("chambers")[-1]
    banner = parse_banners(content("banners"))[0]

    page.get_by_label("貴所の商工会議所").select_option(chamber["code"])
    page.locator(f'button[data-kit-copy="snippet-{banner.id}"]').click()

    status = page.locator(f"#banner-{banner.id} .kit-copy-status")
    assert status.get_attribute("role") == "status"
    status.filter(has_text="コピーしました").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    expected = with_ref(banner_template(banner, built_site_url()), chamber["code"])
    assert copied == expected
    assert f'drill/?ref={chamber["code"]}"' in copied
    # The snippet shown on the page was rewritten too, so selecting it by hand gives the same.
    assert page.locator(f"#snippet-{banner.id}").text_content() == expected


def test_every_snippet_follows_the_picked_chamber(page: Page) -> None:
    page.goto("/chambers/")
    first, second = content("chambers")[0]["code"], content("chambers")[1]["code"]
    select = page.get_by_label("貴所の商工会議所")
    for code in (first, second, ""):
        select.select_option(code)
        for banner in parse_banners(content("banners")):
            shown = page.locator(f"#snippet-{banner.id}").text_content()
            assert shown == with_ref(banner_template(banner, built_site_url()), code or None)


def test_filter_narrows_the_list_and_picks_a_single_match(page: Page) -> None:
    page.goto("/chambers/")
    chamber = content("chambers")[3]
    page.get_by_label("名前や都道府県で絞り込む").fill(chamber["prefecture"])
    visible = page.locator("#kit-chamber option:not([hidden])").evaluate_all("els => els.map(e => e.value)")
    expected = [c["code"] for c in content("chambers") if chamber["prefecture"] in c["prefecture"]]
    assert [v for v in visible if v] == expected
    if len(expected) == 1:
        assert page.locator("#kit-chamber").input_value() == chamber["code"]


def test_texts_page_copies_texts_with_the_chamber_code(clipboard_page: Page) -> None:
    page = clipboard_page
    page.goto("/chambers/texts/")
    code = content("chambers")[0]["code"]
    text = parse_texts(content("banners"))[-1]
    page.get_by_label("貴所の商工会議所").select_option(code)
    page.locator(f'button[data-kit-copy="textblock-{text.id}"]').click()
    page.locator(f"#text-{text.id} .kit-copy-status").filter(has_text="コピーしました").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == with_ref(text_template(text, built_site_url()), code)


def test_chamber_picked_on_one_page_carries_over_to_the_other(page: Page) -> None:
    page.goto("/chambers/")
    code = content("chambers")[2]["code"]
    page.get_by_label("貴所の商工会議所").select_option(code)
    page.goto("/chambers/texts/")
    assert page.locator("#kit-chamber").input_value() == code
    assert f"?ref={code}" in (page.locator("[data-kit-template]").first.text_content() or "")


def test_banner_previews_render_and_page_stays_on_its_own_host(page: Page, request_log: RequestLog) -> None:
    page.goto("/chambers/", wait_until="networkidle")
    sizes = page.locator("img[data-kit-preview]").evaluate_all(
        "imgs => imgs.map(i => [i.complete, i.naturalWidth, i.naturalHeight])"
    )
    banners = parse_banners(content("banners"))
    assert sizes == [[True, b.width, b.height] for b in banners]
    assert request_log.foreign() == []


def test_without_javascript_the_generic_snippet_is_shown_and_selectable(no_js_page: Page) -> None:
    page = no_js_page
    page.goto("/chambers/")
    banner = parse_banners(content("banners"))[0]
    snippet = page.locator(f"#snippet-{banner.id}")
    text = snippet.text_content() or ""
    assert "?ref=" not in text
    assert text == with_ref(banner_template(banner, built_site_url()), None)
    assert snippet.is_visible()
    assert snippet.evaluate("el => getComputedStyle(el).userSelect") != "none"
    # Controls that need JS stay hidden; the note on adding ?ref= by hand and the code list show.
    assert not page.locator(f'button[data-kit-copy="snippet-{banner.id}"]').is_visible()
    assert not page.locator("#kit-chamber").is_visible()
    assert page.locator("[data-kit-nojs]").is_visible()
