"""The chambers' flyer prints on one A4 sheet in Chromium, its PDF downloads, and the refusal page
of an office already drilled offers membership, in a real browser."""

from __future__ import annotations

import io
import unicodedata

import pytest
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from campaign_core.membership import membership
from campaign_core.settings import PROJECT_ROOT

pytestmark = pytest.mark.browser


def printed_text(reader: PdfReader) -> str:
    # Chromium's PDF maps some kanji to compatibility forms; NFKC folds them back. Layout spaces go.
    return "".join(unicodedata.normalize("NFKC", "".join(p.extract_text() for p in reader.pages)).split())


def test_the_flyer_page_prints_on_one_a4_sheet(page: Page) -> None:
    page.goto("/chambers/flyer/", wait_until="networkidle")
    expect(page.locator(".flyer")).to_be_visible()
    page.emulate_media(media="print")
    reader = PdfReader(io.BytesIO(page.pdf(format="A4", prefer_css_page_size=True, print_background=True)))
    assert len(reader.pages) == 1
    text = printed_text(reader)
    assert "セキュリティ訓練キャンペーン" in text and "共催" in text
    # Only the flyer is printed: not the page's own introduction, nor the download button.
    assert "PDFで保存する" not in text and "会員企業への配布や" not in text


def test_the_flyer_and_guide_pdfs_download_from_their_pages(page: Page) -> None:
    for path in ("chambers/flyer/", "managers/", "officers/", "officers/notice/", "participants/"):
        page.goto(f"/{path}")
        link = page.locator("a.md-button[download]").first
        href = link.get_attribute("href")
        assert href is not None and href.endswith(".pdf")
        response = page.request.get(link.evaluate("a => a.href"))
        assert response.ok and response.headers["content-type"] == "application/pdf"
        assert PdfReader(io.BytesIO(response.body())).pages[0].extract_text()


def fill_drill(page: Page, company: str, address: str) -> None:
    page.fill("#f-company", company)
    page.fill("#f-postal_code", "1000001")
    page.select_option("#f-prefecture", "東京都")
    page.fill("#f-address", address)
    page.fill("#f-phone", "03-1234-5678")
    page.select_option("#f-industry", "retail")
    page.select_option("#f-employees", "21-50")
    page.check("input[name=member][value=non_member]")
    page.fill("#f-officer_name", "山田 太郎")
    page.fill("#f-officer_email", "taro@flyer-test.example.jp")
    page.fill("#f-participants", "staff1@flyer-test.example.jp")
    page.check("#f-consent")
    page.click("button[type=submit]")


def test_the_refusal_of_an_office_already_drilled_offers_membership(
    browser: Browser, live_server: str
) -> None:
    offer = membership(PROJECT_ROOT / "content")
    context = browser.new_context(locale="ja-JP", base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/apply/drill/")
        fill_drill(page, "株式会社チラシ確認", "千代田区千代田1-2-3")
        expect(page.locator("h1")).to_have_text("確認メールをお送りしました")
        # The same office again: its room number written, its name in hiragana.
        page.goto("/apply/drill/")
        fill_drill(page, "株式会社ちらし確認", "千代田区千代田1丁目2番地の3 501号室")
        section = page.locator(".cf-membership")
        expect(section).to_be_visible()
        expect(section).to_contain_text(offer.heading)
        section.get_by_role("link").click()
        expect(page.locator("h1")).to_have_text("入会のご案内")
        expect(page.locator("article")).to_contain_text(offer.benefits[0].title)
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize(
    ("path", "table"), [("contact/", "table.branch-desks"), ("chambers/", "table.kit-branch")]
)
def test_the_branch_desks_read_as_a_table_with_whole_addresses(
    page: Page, width: int, path: str, table: str
) -> None:
    # Unstyled, these came out as bare columns with addresses broken mid-word
    # ("hokkaido@branch.exa" / "mple.jp").
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/{path}", wait_until="networkidle")
    cells = page.locator(f"{table} tbody td")
    assert cells.count() > 0
    ruled = page.evaluate(
        "sel => [...document.querySelectorAll(sel + ' tbody tr')].every("
        "r => [r, ...r.children].some(e => parseFloat(getComputedStyle(e).borderTopWidth) > 0))",
        table,
    )
    assert ruled, "each branch must be set apart by a rule"
    lines = page.evaluate(
        "sel => [...document.querySelectorAll(sel + ' a[href^=\"mailto:\"]')]"
        ".map(a => a.getClientRects().length)",
        table,
    )
    assert lines and set(lines) == {1}, lines
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_flyer_keeps_step_numbers_off_the_text_and_dates_on_their_own_line(page: Page) -> None:
    page.goto("/chambers/flyer/", wait_until="networkidle")
    # The number badge used to float into the first line of each step's text and cut it short.
    steps = page.evaluate(
        """() => [...document.querySelectorAll('.flyer__steps li')].map(li => {
             const badge = li.querySelector('.flyer__step-no').getBoundingClientRect();
             const text = li.querySelector('span:not(.flyer__step-no)');
             const lines = [...text.getClientRects()];
             return {
               overlap: lines.some(r => r.top < badge.bottom && r.right > badge.left),
               first: lines[0].width, second: lines.length > 1 ? lines[1].width : lines[0].width,
               em: parseFloat(getComputedStyle(text).fontSize),
             };
           })"""
    )
    assert steps
    for step in steps:
        assert not step["overlap"], step
        assert step["first"] >= step["second"] - 1.5 * step["em"], step  # not a short first line
    # A session's date on a line of its own, above its title ("2026年12月16日(水) 第3四半期…" ran on).
    dates = page.locator(".flyer__dates li")
    assert dates.count() > 0
    for i in range(dates.count()):
        item = dates.nth(i)
        date_box = item.locator(".flyer__date").bounding_box()
        assert date_box is not None
        title_top = item.evaluate(
            "li => { const r = document.createRange(); r.selectNodeContents(li.lastChild);"
            " return r.getClientRects()[0].top; }"
        )
        assert title_top >= date_box["y"] + date_box["height"] - 1


def test_the_flyer_page_reads_on_a_phone(page: Page) -> None:
    # The sheet's three columns at 390 px set "身につける" one character a line; on a phone they stack.
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto("/chambers/flyer/", wait_until="networkidle")
    titles = page.evaluate(
        """() => [...document.querySelectorAll('.flyer__steps strong')].map(s => {
             const r = document.createRange(); r.selectNodeContents(s);
             return r.getClientRects().length;
           })"""
    )
    assert titles and set(titles) == {1}, titles
    rules, side = (page.locator(sel).bounding_box() for sel in (".flyer__rules", ".flyer__side"))
    assert rules is not None and side is not None
    assert side["y"] >= rules["y"] + rules["height"] - 1  # below, not squeezed beside
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
