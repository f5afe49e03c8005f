"""Officers print the manual, the notice example and the staff page on A4: in print media the site's
header, navigation and footer are hidden, nothing is wider than the printable width of the sheet
(code blocks wrap instead of being cut off), and Chromium's PDF of each page is A4 and readable."""

from __future__ import annotations

import io
import unicodedata
from typing import Any

import pytest
from playwright.sync_api import Page
from pypdf import PdfReader

pytestmark = pytest.mark.browser

# A4 is 210 mm wide; print.css leaves 14 mm on each side: 182 mm of text at 96 CSS px per inch.
A4_WIDTH_PT = 595.28
A4_HEIGHT_PT = 841.89
PRINTABLE_WIDTH_PX = int((210 - 2 * 14) / 25.4 * 96)

PRINTED_PAGES = ["officers/", "officers/notice/", "officers/staff/"]
CHROME = [".md-header", ".md-sidebar--primary", ".md-sidebar--secondary", ".md-footer", ".md-search"]

WIDE_ELEMENTS = """(limit) => {
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.height > 0 && r.right > limit + 0.5) {
      const name = el.tagName.toLowerCase() + '.' + [...el.classList].join('.');
      wide.push(name + ' right=' + Math.round(r.right));
    }
  }
  // A code block whose text is wider than its box would be cut off on paper.
  const cut = [...document.querySelectorAll('pre, pre > code')]
    .filter(el => el.scrollWidth > el.clientWidth + 1)
    .map(el => `${el.tagName.toLowerCase()} scrollWidth=${el.scrollWidth} clientWidth=${el.clientWidth}`);
  return {scrollWidth: document.documentElement.scrollWidth, wide: wide.slice(0, 8), cut};
}"""


def open_for_print(page: Page, path: str) -> None:
    # Lay the page out at the sheet's printable width, as Chromium does when it prints.
    page.set_viewport_size({"width": PRINTABLE_WIDTH_PX, "height": 1000})
    page.emulate_media(media="print")
    page.goto(f"/{path}", wait_until="networkidle")


@pytest.mark.parametrize("path", PRINTED_PAGES)
def test_print_hides_site_header_navigation_and_footer(page: Page, path: str) -> None:
    open_for_print(page, path)
    for selector in CHROME:
        element = page.locator(selector).first
        assert element.count() == 1, f"{selector} is not on the page: the check would prove nothing"
        assert element.is_hidden(), f"{selector} is printed on /{path}"
    assert page.locator("article h1").is_visible()


@pytest.mark.parametrize("path", PRINTED_PAGES)
def test_screen_keeps_the_site_header(page: Page, path: str) -> None:
    # The print rules must not leak into the screen layout.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"/{path}")
    assert page.locator(".md-header").is_visible()


@pytest.mark.parametrize("path", PRINTED_PAGES)
def test_nothing_is_wider_than_the_printable_width(page: Page, path: str) -> None:
    open_for_print(page, path)
    report: dict[str, Any] = page.evaluate(WIDE_ELEMENTS, PRINTABLE_WIDTH_PX)
    assert report["wide"] == [], report
    assert report["cut"] == [], report
    assert report["scrollWidth"] <= PRINTABLE_WIDTH_PX


def test_code_block_wraps_when_printed(page: Page) -> None:
    # On screen the notice mail keeps its lines; in print a line too long for the sheet must wrap.
    open_for_print(page, "officers/notice/")
    white_space = page.locator("article pre > code").first.evaluate("el => getComputedStyle(el).whiteSpace")
    assert white_space == "pre-wrap"


def sheet_text(reader: PdfReader, index: int) -> str:
    # Chromium's PDF maps some kanji to their compatibility forms (e.g. U+2F45 for 方); NFKC folds
    # them back. Spaces and line breaks come from the layout, not the text: drop them.
    text = unicodedata.normalize("NFKC", reader.pages[index].extract_text())
    return "".join(text.split())


def pdf_of(page: Page, path: str) -> PdfReader:
    page.goto(f"/{path}", wait_until="networkidle")
    page.emulate_media(media="print")
    return PdfReader(io.BytesIO(page.pdf(format="A4", prefer_css_page_size=True, print_background=True)))


@pytest.mark.parametrize(
    ("path", "heading", "pages"),
    [
        ("officers/", "セキュリティ責任者向け", range(3, 9)),
        ("officers/notice/", "事前案内メールの例", range(1, 4)),
        ("officers/staff/", "社員に伝えること", range(1, 5)),
    ],
)
def test_pdf_is_a4_with_the_page_text_and_no_site_navigation(
    page: Page, path: str, heading: str, pages: range
) -> None:
    reader = pdf_of(page, path)
    assert len(reader.pages) in pages, f"/{path} printed on {len(reader.pages)} sheet(s)"
    for sheet in reader.pages:
        width, height = float(sheet.mediabox.width), float(sheet.mediabox.height)
        assert abs(width - A4_WIDTH_PT) < 2 and abs(height - A4_HEIGHT_PT) < 2
    assert heading in sheet_text(reader, 0)
    # The navigation's entries (e.g. the one-shot form) are not printed.
    printed = "".join(sheet_text(reader, index) for index in range(len(reader.pages)))
    assert "ワンショット体験のお申し込み" not in printed


@pytest.mark.parametrize(
    ("path", "heading"), [("officers/", "チェックシート"), ("officers/staff/", "社内掲示用のまとめ")]
)
def test_sheet_to_fill_in_or_pin_up_starts_on_a_fresh_page(page: Page, path: str, heading: str) -> None:
    reader = pdf_of(page, path)
    starts = [sheet_text(reader, index)[:20] for index in range(1, len(reader.pages))]
    assert any(start.startswith(heading) for start in starts), starts


def test_notice_mail_is_printed_whole(page: Page) -> None:
    # The last line of the mail (the signature) must reach the paper: the block is not cut off.
    page.goto("/officers/notice/")
    last_line = page.locator("article pre > code").first.inner_text().strip().splitlines()[-1]
    reader = pdf_of(page, "officers/notice/")
    printed = "".join(sheet_text(reader, index) for index in range(len(reader.pages)))
    assert "".join(unicodedata.normalize("NFKC", last_line).split()) in printed
