"""The drill's answers in a real Chromium: the public site's search finds no drill mail, a click in a
drill mail lands on the page of that very mail (inside the site's layout, not indexed), and a bad or
missing token gets a friendly Japanese page that shows no mail."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from campaign_core.clock import SystemClock, iso
from campaign_core.records import MESSAGE
from campaign_core.store import Store, create_store
from campaign_core.tokens import Signer
from drill_sender.templates import DrillTemplate, load_all, load_template, tracking_token
from tests.support import TEST_SECRET
from tests.support.browser import axe_violations, local_server, search

pytestmark = pytest.mark.browser

TEMPLATES = load_all()
RECIPIENT = "hanako@learn-test.example.jp"


@dataclass
class DrillServer:
    url: str
    store: Store


@pytest.fixture(scope="module")
def drill_server(built_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DrillServer]:
    """The local app (site + tracking) on its own port, with a store this module writes sent mails to."""
    data_dir = tmp_path_factory.mktemp("learn-var")
    with local_server(built_site, data_dir, threads=4) as server:
        store = create_store(server.settings)
        yield DrillServer(server.url, store)
    store.close()


@pytest.fixture
def tab(browser: Browser, drill_server: DrillServer) -> Iterator[Page]:
    context = browser.new_context(locale="ja-JP", base_url=drill_server.url)
    yield context.new_page()
    context.close()


def sent_mail(server: DrillServer, template: DrillTemplate, key: str) -> str:
    """A drill mail marked sent, as the sender leaves it; returns its click path."""
    server.store.put_new(
        MESSAGE,
        key,
        {
            "application_id": f"app-{key}", "purpose": "drill", "email": RECIPIENT, "company": "学び商事",
            "month": template.month, "variant": template.variant, "state": "sent",
            "sent_at": iso(datetime.now(UTC)),
        },
    )  # fmt: skip
    token = tracking_token(Signer(TEST_SECRET, SystemClock()), key)
    return f"/t/c/{token}?l={template.links[0]}"


def test_the_public_search_finds_no_drill_mail(tab: Page) -> None:
    tab.goto("/", wait_until="load")
    # The search works: a word of the public learning page finds it ...
    assert "/learn/" in search(tab, "給付金")
    # ... and no drill mail's subject leads to a page that holds a drill mail (senders and body lines:
    # every file of the built site is scanned in tests/drill/test_answers_private.py).
    found: set[str] = set()
    for template in TEMPLATES:
        paths = search(tab, template.subject)
        assert not [p for p in paths if re.match(r"/learn/\d\d-", p)], template.key
        shown = " ".join(tab.locator("li.md-search-result__item").all_inner_texts())
        assert template.subject not in shown and template.sender_name not in shown, template.key
        found.update(paths)
    for path in sorted(found):
        tab.goto(path, wait_until="domcontentloaded")
        text = tab.locator("article.md-content__inner").inner_text()
        assert not [t.key for t in TEMPLATES if t.subject in text or t.sender_name in text], path


def test_a_click_lands_on_the_page_of_that_mail(tab: Page, drill_server: DrillServer) -> None:
    template = load_template(5, "subtle")
    response = tab.goto(sent_mail(drill_server, template, "browser-click"), wait_until="load")
    assert response is not None and response.status == 200
    assert "/t/learn/" in tab.url
    expect(tab).to_have_title(re.compile(r"^これは訓練です - "))
    # Inside the site's layout, with the mail as it was sent and its clues.
    expect(tab.locator(".md-header")).to_be_visible()
    mail = tab.locator(".drill-mail")
    expect(mail).to_contain_text(template.subject)
    expect(mail).to_contain_text(f"{template.sender_local_part}@")
    expect(mail).to_contain_text(RECIPIENT)
    expect(mail).not_to_contain_text("訓練用のドメイン")
    expect(tab.locator("ol.learn-clues > li")).to_have_count(len(template.clues))
    expect(tab.locator('meta[name="robots"]')).to_have_attribute("content", "noindex, nofollow")
    headers = response.all_headers()
    assert headers["cache-control"] == "private, no-store" and "noindex" in headers["x-robots-tag"]
    # Nothing in the mail can be clicked out of; the page passes axe-core like the site's own pages.
    assert mail.locator("a, img, form").count() == 0
    assert axe_violations(tab) == []


@pytest.mark.parametrize("path", ["/t/learn/", "/t/learn/not-a-token", "/t/c/forged?l=x"])
def test_an_invalid_or_missing_token_gets_a_friendly_page(tab: Page, path: str) -> None:
    tab.goto(path, wait_until="load")
    expect(tab.locator("h1")).to_have_text("このリンクは使えません")
    expect(tab.locator("#link-problem")).to_contain_text("セキュリティ責任者に知らせてください")
    assert tab.locator(".drill-mail").count() == 0
    text = tab.locator("body").inner_text()
    assert not [t.subject for t in TEMPLATES if t.subject in text]
    expect(tab.locator('meta[name="robots"]')).to_have_attribute("content", "noindex, nofollow")
