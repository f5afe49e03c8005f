"""Site-wide quality of every built page, in a real Chromium: only the site's own host is contacted,
axe-core finds no violation, nothing scrolls sideways on a 360 px phone, and Japanese search finds pages.

The pages come from the MkDocs configuration (`tests.test_links.SITE_PAGES`, checked there against the
built sitemap), so pages added later are covered without touching this file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from mkdocs.utils.meta import get_data
from playwright.sync_api import Browser, BrowserContext, Page

from tests.support.browser import RequestLog, axe_violations, search
from tests.support.site import SITE_PAGES, SitePage

pytestmark = pytest.mark.browser

PHONE = {
    "viewport": {"width": 360, "height": 780},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}

# Words a visitor is likely to search for; used for a page when it contains them.
PREFERRED_WORDS = (
    "ランサムウェア",
    "開封",
    "訓練メール",
    "セキュリティ責任者",
    "ワンショット体験",
    "セミナー",
)
# Candidate search words, as people type them: a whole katakana word, or a kanji compound of two to four
# characters followed by a particle or punctuation (so not a verb stem such as 届 in 届く; longer kanji
# runs are several words, which the segmenter may split differently in the page and in the query).
KATAKANA_WORD = (
    r"(?<![\u30a1-\u30fa\u30fc])[\u30a1-\u30fa][\u30a1-\u30fa\u30fc]{2,11}(?![\u30a1-\u30fa\u30fc])"
)
KANJI_WORD = (
    r"(?<![\u4e00-\u9fff\u3005])[\u4e00-\u9fff][\u4e00-\u9fff\u3005]{1,3}"
    r"(?=[のをにがはでともへや、。，．・（）()「」\s]|$)"
)
SEARCH_WORD = re.compile(f"{KATAKANA_WORD}|{KANJI_WORD}")

PAGE_IDS = [page.id for page in SITE_PAGES]
CONTENT_PAGES = [page for page in SITE_PAGES if page.url != "404.html"]


def _context(browser: Browser, live_server: str, options: dict[str, Any]) -> Iterator[BrowserContext]:
    context = browser.new_context(locale="ja-JP", base_url=live_server, **options)
    # Routing every request turns Playwright's HTTP cache off, so each page load shows all its requests.
    context.route("**/*", lambda route: route.continue_())
    yield context
    context.close()


@pytest.fixture(scope="module")
def desktop(browser: Browser, live_server: str) -> Iterator[BrowserContext]:
    yield from _context(browser, live_server, DESKTOP)


@pytest.fixture(scope="module")
def phone(browser: Browser, live_server: str) -> Iterator[BrowserContext]:
    yield from _context(browser, live_server, PHONE)


@dataclass
class PageAudit:
    """What one load of a page in one device showed; each check below asserts one part of it."""

    status: int
    requests: RequestLog
    violations: list[dict[str, Any]]  # axe-core, on the desktop load
    overflow: dict[str, Any]  # widths, on the phone load


OVERFLOW_REPORT = """() => {
  const limit = window.innerWidth;
  const name = el => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    for (const c of el.classList) s += '.' + c;
    return s;
  };
  const path = el => {
    const parts = [];
    for (let e = el; e && e !== document.body && parts.length < 4; e = e.parentElement) {
      parts.unshift(name(e));
    }
    return parts.join(' > ');
  };
  const clipped = el => {
    for (let e = el.parentElement; e && e !== document.documentElement; e = e.parentElement) {
      if (getComputedStyle(e).overflowX !== 'visible') return true;
    }
    return false;
  };
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > limit + 0.5 && !clipped(el)) {
      wide.push({element: path(el), right: Math.round(r.right), width: Math.round(r.width)});
    }
  }
  wide.sort((a, b) => b.right - a.right);
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: limit, widest: wide.slice(0, 5)};
}"""


def load_and_audit(context: BrowserContext, live_server: str, page: SitePage, device: str) -> PageAudit:
    """Desktop: waits for the network to go quiet (late requests count too) and runs axe-core.
    Phone: measures the layout at 360 px. Both record every request."""
    tab = context.new_page()
    log = RequestLog(own_origin=live_server)
    tab.on("request", log.record)
    try:
        on_desktop = device == "desktop"
        response = tab.goto(f"/{page.url}", wait_until="networkidle" if on_desktop else "load")
        assert response is not None
        if on_desktop:
            return PageAudit(response.status, log, axe_violations(tab), {})
        return PageAudit(response.status, log, [], tab.evaluate(OVERFLOW_REPORT))
    finally:
        tab.close()


@pytest.fixture(scope="module")
def audits(desktop: BrowserContext, phone: BrowserContext, live_server: str) -> Any:
    """Loads each page once per device, on first use, and keeps what it saw for the checks."""
    seen: dict[tuple[str, str], PageAudit] = {}

    def audit(page: SitePage, device: str) -> PageAudit:
        key = (page.url, device)
        if key not in seen:
            seen[key] = load_and_audit(phone if device == "phone" else desktop, live_server, page, device)
        return seen[key]

    return audit


DEVICES = ["desktop", "phone"]


@pytest.mark.parametrize("page", SITE_PAGES, ids=PAGE_IDS)
@pytest.mark.parametrize("device", DEVICES)
def test_page_loads(audits: Any, page: SitePage, device: str) -> None:
    status = audits(page, device).status
    assert status == 200, f"/{page.url} answered {status}"


# -- only the site's own host ------------------------------------------------------------------------


@pytest.mark.parametrize("page", SITE_PAGES, ids=PAGE_IDS)
@pytest.mark.parametrize("device", DEVICES)
def test_page_contacts_no_other_host(audits: Any, page: SitePage, device: str) -> None:
    log = audits(page, device).requests
    assert log.urls, "no request was recorded: the log is not wired"
    assert log.foreign() == [], f"/{page.url} contacted other hosts: {log.foreign()}"


# -- axe-core ----------------------------------------------------------------------------------------


def describe_violations(page: SitePage, device: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"/{page.url} ({device}): {len(violations)} axe-core violation(s)"]
    for violation in violations:
        lines.append(f"- {violation['id']} [{violation['impact']}]: {violation['help']}")
        for node in violation["nodes"][:8]:
            summary = " ".join(str(node["summary"] or "").split())[:300]
            lines.append(f"    {node['target']}  — {summary}")
        if len(violation["nodes"]) > 8:
            lines.append(f"    … and {len(violation['nodes']) - 8} more")
    return "\n".join(lines)


@pytest.mark.parametrize("page", SITE_PAGES, ids=PAGE_IDS)
def test_axe_finds_no_violation(audits: Any, page: SitePage) -> None:
    violations = audits(page, "desktop").violations
    assert violations == [], describe_violations(page, "1280 px", violations)


def test_axe_is_able_to_fail(desktop: BrowserContext) -> None:
    # The same run on a page with known faults must report them, or a green run would mean nothing.
    tab = desktop.new_page()
    tab.set_content(
        '<html lang="ja"><body><main><h1>見出し</h1><img src="data:,">'
        '<p style="color:#aaa;background:#fff">薄い文字</p></main></body></html>'
    )
    found = {violation["id"] for violation in axe_violations(tab)}
    tab.close()
    assert {"image-alt", "color-contrast"} <= found, found


# -- no sideways scrolling on a phone ----------------------------------------------------------------


@pytest.mark.parametrize("page", SITE_PAGES, ids=PAGE_IDS)
def test_no_horizontal_scroll_at_360px(audits: Any, page: SitePage) -> None:
    report = audits(page, "phone").overflow
    assert report["innerWidth"] == 360, report
    assert report["scrollWidth"] <= report["innerWidth"], (
        f"/{page.url} scrolls sideways at 360 px: scrollWidth {report['scrollWidth']}; widest elements:\n"
        + "\n".join(
            f"  {w['element']} (right edge {w['right']} px, {w['width']} px wide)" for w in report["widest"]
        )
    )


# -- Japanese search ---------------------------------------------------------------------------------


def page_texts(built_site: Path) -> dict[str, str]:
    """Page URL → its title and text, from the search index the site ships."""
    index = json.loads((built_site / "search" / "search_index.json").read_text(encoding="utf-8"))
    texts: dict[str, list[str]] = {}
    for doc in index["docs"]:
        location = str(doc["location"]).split("#", 1)[0]
        text = lxml.html.fromstring(f"<div>{doc['text']}</div>").text_content() if doc["text"] else ""
        texts.setdefault(location, []).extend([str(doc["title"]), text])
    return {location: " ".join(parts) for location, parts in texts.items()}


def search_word(page_url: str, texts: dict[str, str]) -> str:
    """A word a visitor would type that leads to this page: a preferred word when the page has one,
    else the page's most distinctive katakana/kanji run (found in the fewest other pages)."""
    own = texts.get(page_url, "")

    def pages_with(word: str) -> int:
        return sum(word in text for text in texts.values())

    for word in PREFERRED_WORDS:
        if word in own and pages_with(word) <= 8:
            return word
    candidates = SEARCH_WORD.findall(own)
    if not candidates:
        return ""
    order = {word: position for position, word in reversed(list(enumerate(candidates)))}
    return min(order, key=lambda word: (pages_with(word), -len(word), order[word]))


@pytest.fixture(scope="module")
def search_tab(desktop: BrowserContext) -> Iterator[Page]:
    tab = desktop.new_page()
    tab.goto("/", wait_until="load")
    yield tab
    tab.close()


@pytest.mark.parametrize("page", CONTENT_PAGES, ids=[page.id for page in CONTENT_PAGES])
def test_japanese_search_finds_page(search_tab: Page, built_site: Path, page: SitePage) -> None:
    texts = page_texts(built_site)
    if page.url not in texts:
        # Left out of the index on purpose (front matter `search: exclude: true`), or it is a fault.
        _body, meta = get_data(Path(page.source).read_text(encoding="utf-8"))
        assert (meta.get("search") or {}).get("exclude") is True, f"/{page.url} is not in the search index"
        return
    word = search_word(page.url, texts)
    assert word, f"/{page.url} has no Japanese word to search for (is the page written yet?)"
    results = search(search_tab, word, until=f"/{page.url}")
    assert f"/{page.url}" in results, (
        f"searching 「{word}」 does not list /{page.url}; results: {results[:12]}"
    )


# Compounds that cross from katakana to kanji or back (訓練メール, セキュリティ責任者): the words Japanese
# search most often misses, since the index splits them where the query does not.
MIXED_COMPOUND = re.compile(
    r"(?:[\u30a1-\u30fa\u30fc]{2,}[\u4e00-\u9fff\u3005]{2,}|[\u4e00-\u9fff\u3005]{2,}[\u30a1-\u30fa\u30fc]{2,})"
)


def test_japanese_search_finds_every_page_with_a_compound_word(search_tab: Page, built_site: Path) -> None:
    texts = page_texts(built_site)
    counts: dict[str, int] = {}
    for text in texts.values():
        for word in set(MIXED_COMPOUND.findall(text)):
            counts[word] = counts.get(word, 0) + 1
    # The most widespread ones, among those on at most 14 pages (so the results fit in two batches).
    common = [word for word in counts if counts[word] <= 14]
    compounds = sorted(common, key=lambda word: (-counts[word], -len(word), word))[:5]
    assert compounds, "no page has a katakana-kanji compound word yet"
    missed = []
    for word in compounds:
        results = search(search_tab, word)
        expected = sorted(f"/{url}" for url, text in texts.items() if word in text)
        lost = [url for url in expected if url not in results]
        if lost:
            missed.append(f"「{word}」 does not list {lost}")
    assert not missed, "\n".join(missed)


def test_japanese_search_finds_nothing_for_an_absent_word(search_tab: Page, built_site: Path) -> None:
    # A word in no page must give no result, so the test above cannot pass by listing everything.
    word = "鰻重"
    assert not any(word in text for text in page_texts(built_site).values())
    assert search(search_tab, word) == []


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_axe_finds_no_violation_in_search_results(
    desktop: BrowserContext, phone: BrowserContext, built_site: Path, device: str
) -> None:
    # The search dialog and its highlighted results only exist once someone searches: check them open.
    tab = (phone if device == "phone" else desktop).new_page()
    try:
        tab.goto("/", wait_until="load")
        if device == "phone":
            tab.locator("label.md-header__button[for=__search]").click()
        word = search_word("", page_texts(built_site)) or "訓練"
        assert search(tab, word), f"no result for 「{word}」"
        violations = axe_violations(tab)
    finally:
        tab.close()
    assert violations == [], describe_violations(
        SitePage(url="", file="index.html"), f"search, {device}", violations
    )
