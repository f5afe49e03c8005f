"""PDF downloads built with the site (after it, from the built pages): the chambers' flyer and the
materials the plan hands to companies as PDFs (経営者・責任者向け / 参加者向け資料).

Each guide page's article is taken from its built HTML, its links made absolute (a PDF on someone's
desk must still point at the site) and laid out on A4 by WeasyPrint (`cli.printing`). The PDFs land
in `site/pdf/`; `<!-- md:pdf-download name=... -->` links a page to its PDF. A PDF is kept in
`.cache/pdf/` under the hash of its HTML, so a build where nothing changed renders none again.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from markupsafe import Markup

from campaign_core.settings import PROJECT_ROOT
from site_build import PageContext, build_time, post_build, shortcode, site_root
from site_build.flyer import flyer_document

PDF_DIR = "pdf"
CACHE_DIR = PROJECT_ROOT / ".cache" / "pdf"


@dataclass(frozen=True)
class PdfDocument:
    name: str  # site/pdf/<name>.pdf
    page: str  # the built page it is made from
    title: str


DOCUMENTS = (
    PdfDocument("managers", "managers/", "経営者の方へ"),
    PdfDocument("officers-manual", "officers/", "セキュリティ責任者向けマニュアル"),
    PdfDocument("notice-example", "officers/notice/", "事前案内メールの例"),
    PdfDocument("participants", "participants/", "社員の方へ(参加者向けの資料)"),
)
FLYER = PdfDocument("flyer", "chambers/flyer/", "案内チラシ")
NAMES = {d.name: d for d in (*DOCUMENTS, FLYER)}

_ARTICLE_RE = re.compile(r'<article class="md-content__inner md-typeset">(.*?)</article>', re.DOTALL)
_DOWNLOAD_RE = re.compile(r'<p class="pdf-download[^"]*">.*?</p>', re.DOTALL)
_HREF_RE = re.compile(r'href="([^"#][^"]*)"')


@shortcode("pdf-download")
def render_download(ctx: PageContext, args: dict[str, str]) -> str:
    document = NAMES[args["name"]]
    href = ctx.url(f"{PDF_DIR}/{document.name}.pdf")
    return (
        f'<p class="pdf-download"><a class="md-button" href="{href}" download>'
        f"「{document.title}」を PDF で保存する(A4)</a></p>"
    )


def article_document(page_html: str, document: PdfDocument, site_url: str) -> str:
    """The article of a built page as a standalone A4 document, its links pointing at the site."""
    found = _ARTICLE_RE.search(page_html)
    if found is None:
        raise ValueError(f"{document.page}: the built page has no article")
    page_url = site_root(site_url) + document.page
    article = _DOWNLOAD_RE.sub("", found.group(1))
    article = _HREF_RE.sub(lambda m: f'href="{urljoin(page_url, m.group(1))}"', article)
    ctx = PageContext(page_url=document.page, site_url=site_url, built_at=build_time())
    return ctx.render(
        "pdf_document.html",
        title=document.title,
        header=f"セキュリティ訓練キャンペーン {document.title}",
        article=Markup(article),  # noqa: S704 - the site's own built HTML
        source_note=f"このPDFは案内サイトのページ {page_url} から作りました。"
        "最新の内容はページでご確認ください。",
    )


def cached_pdf(html: str, base_dir: Path) -> bytes:
    """The PDF of `html`, rendered once per version of the HTML (and of WeasyPrint)."""
    import weasyprint

    from cli.printing import html_to_pdf

    key = hashlib.sha256(f"{weasyprint.__version__}\n{base_dir}\n{html}".encode()).hexdigest()[:32]
    cached = CACHE_DIR / f"{key}.pdf"
    if cached.is_file():
        return cached.read_bytes()
    pdf = html_to_pdf(html, base_dir=base_dir)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(pdf)
    return pdf


@post_build
def write_pdfs(config: Any) -> None:
    site_dir = Path(config["site_dir"])
    site_url = str(config.get("site_url") or "")
    out = site_dir / PDF_DIR
    out.mkdir(parents=True, exist_ok=True)
    for document in DOCUMENTS:
        page_dir = site_dir / document.page
        html = article_document((page_dir / "index.html").read_text(encoding="utf-8"), document, site_url)
        (out / f"{document.name}.pdf").write_bytes(cached_pdf(html, page_dir))
    flyer = flyer_document(site_url, build_time())
    (out / f"{FLYER.name}.pdf").write_bytes(cached_pdf(flyer, site_dir / FLYER.page))
