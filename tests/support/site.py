"""The built site: its pages, found from the MkDocs configuration (link checks, browser audits),
and the build itself."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from mkdocs.config import load_config
from mkdocs.structure.files import get_files

from campaign_core.settings import PROJECT_ROOT


@dataclass(frozen=True)
class SitePage:
    """One page of the built site: its URL path below the site root and its file in the built site."""

    url: str  # "" for the top page, "drill/faq/", "404.html"
    file: str  # "index.html", "drill/faq/index.html", "404.html"
    source: str = ""  # its Markdown below docs_dir, "" for pages the theme makes (404)

    @property
    def id(self) -> str:
        return self.url.rstrip("/") or "top"


def site_pages() -> list[SitePage]:
    """Every page the build renders, found from the MkDocs configuration (not a hand-kept list).

    Used to parametrise the checks at collection time, before the site is built; the test
    `test_every_built_page_is_checked` proves the list matches the built site's sitemap.
    """
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    config = load_config(str(PROJECT_ROOT / "mkdocs.yml"))
    pages = [
        SitePage(url=file.url.removeprefix("./"), file=file.dest_uri, source=file.abs_src_path or "")
        for file in get_files(config).documentation_pages()
    ]
    pages.append(SitePage(url="404.html", file="404.html"))
    return sorted(pages, key=lambda page: page.url)


SITE_PAGES = site_pages()


def build_site(out: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`mkdocs build --strict` (warnings fail) into `out`, with `env` added to the environment."""
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=PROJECT_ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", **env},
        capture_output=True,
        text=True,
        check=False,
    )
