"""The PDFs the site build makes (WeasyPrint): the chambers' flyer on one A4 sheet and the guide
pages for companies, each A4, its Japanese text readable back (pypdf), its links pointing at the
site; and the cache that keeps a rebuild from rendering them again."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from site_build import pdfs

A4 = (595, 842)  # points


def sizes(reader: PdfReader) -> set[tuple[int, int]]:
    return {(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages}


def text_of(reader: PdfReader) -> str:
    return "".join("".join(page.extract_text().split()) for page in reader.pages)


def uris(reader: PdfReader) -> list[str]:
    found = []
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action is not None and "/URI" in action:
                found.append(str(action["/URI"]))
    return found


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("managers", ["経営者の方へ", "訓練"]),
        ("officers-manual", ["セキュリティ責任者向け", "チェックシート"]),
        ("notice-example", ["事前案内メールの例", "訓練"]),
        ("participants", ["怪しいメールが届いたら", "すぐ知らせる"]),
    ],
)
def test_each_guide_pdf_is_a4_with_its_japanese_text_and_links_to_the_site(
    built_site: Path, name: str, words: list[str]
) -> None:
    reader = PdfReader(built_site / "pdf" / f"{name}.pdf")
    assert sizes(reader) == {A4}
    text = text_of(reader)
    for word in words:
        assert word in text
    assert "PDFで保存する" not in text  # the download button is for the screen
    links = uris(reader)
    assert links and all(
        link.startswith(("http://127.0.0.1:8000/", "https://", "http://", "mailto:")) for link in links
    )
    assert any(link.startswith("http://127.0.0.1:8000/") for link in links)


@pytest.mark.parametrize("name", [d.name for d in pdfs.DOCUMENTS])
def test_no_sheet_of_a_guide_pdf_is_left_with_only_a_heading_or_the_source_note(
    built_site: Path, name: str
) -> None:
    # A mail to copy kept whole once pushed the notice's heading onto a sheet of its own and the
    # manual's closing note onto a seventh sheet: paper a reader turns over for nothing.
    document = pdfs.NAMES[name]
    reader = PdfReader(built_site / "pdf" / f"{name}.pdf")
    header = "".join(f"セキュリティ訓練キャンペーン {document.title}".split())
    pages = len(reader.pages)
    for number, page in enumerate(reader.pages, start=1):
        text = "".join(page.extract_text().split()).replace(header, "").replace(f"{number}/{pages}", "")
        text = text.split("このPDFは案内サイトのページ")[0]
        assert len(text) >= 100, f"{name}.pdf, sheet {number}/{pages}: {text!r}"


def test_the_manuals_check_sheet_is_one_whole_sheet_to_fill_in(built_site: Path) -> None:
    # As the printed page does: split over two sheets, rows 1-3 and 4-10 had to be taped together.
    reader = PdfReader(built_site / "pdf" / "officers-manual.pdf")
    texts = ["".join(page.extract_text().split()) for page in reader.pages]
    [sheet] = [t for t in texts if "訓練チェックシート(会社名" in t]
    assert sheet.startswith("チェックシート")  # the section opens the sheet
    for row in range(1, 11):
        assert f"{row}あり・なし" in sheet


def test_the_flyer_pdf_is_one_a4_sheet_from_the_content_files(built_site: Path) -> None:
    reader = PdfReader(built_site / "pdf" / "flyer.pdf")
    assert len(reader.pages) == 1 and sizes(reader) == {A4}
    text = text_of(reader)
    for word in (
        "セキュリティ訓練キャンペーン",
        "参加費",
        "1回の訓練に参加できるのは最大10名です",
        "共催",
        "主催",
    ):
        assert word in text  # flyer.yml, slides.yml's rules and organisation.yml


def test_a_pdf_is_rendered_once_per_version_of_its_html(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdfs, "CACHE_DIR", tmp_path / "cache")
    html = '<html lang="ja"><body><p>キャッシュの確認</p></body></html>'
    first = pdfs.cached_pdf(html, tmp_path)
    assert len(list((tmp_path / "cache").iterdir())) == 1
    assert pdfs.cached_pdf(html, tmp_path) == first
    pdfs.cached_pdf(html.replace("確認", "変更"), tmp_path)
    assert len(list((tmp_path / "cache").iterdir())) == 2
    assert "キャッシュの確認" in PdfReader(io.BytesIO(first)).pages[0].extract_text()
