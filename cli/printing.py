"""HTML to PDF with WeasyPrint, for what staff print and post: the drill report (`campaign report
--format pdf`) and, through the site build, the flyer and the guide pages' PDF downloads.

WeasyPrint needs Pango and a Japanese font from Debian (`libpango-1.0-0`, `libpangoft2-1.0-0`,
`fonts-noto-cjk`; `scripts/install-pdf-deps.sh`). It is imported here only: the Lambda packages
never load it (a forbidden contract in pyproject.toml says so). Nothing is fetched from the network:
images and styles come from local files or `data:` URLs, links stay links.
"""

from __future__ import annotations

from pathlib import Path


def html_to_pdf(html: str, *, base_dir: Path | None = None) -> bytes:
    """`html` laid out for print (its `@page` rules: A4) as PDF bytes; relative `src` resolve in
    `base_dir`."""
    from weasyprint import HTML  # a heavy import: only when a PDF is made
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols=("file", "data"))
    base_url = base_dir.resolve().as_uri() + "/" if base_dir is not None else None
    pdf: bytes = HTML(string=html, base_url=base_url, url_fetcher=fetcher, media_type="print").write_pdf()
    return pdf
