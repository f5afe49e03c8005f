"""The site's layout around what the apps answer: a built page of the guide site, rebased so it works
at the app's URL, with the app's own title and content in place of the article."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from urllib.parse import urljoin

import jinja2
from markupsafe import Markup, escape

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


@cache
def snippet_environment(directory: Path) -> jinja2.Environment:
    """Jinja for the HTML snippets of the site build and the forms: escaped, strict about missing
    values, and without the blank lines block tags would leave."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(directory)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def _standalone() -> jinja2.Template:
    loader = jinja2.FileSystemLoader(str(TEMPLATES_DIR))
    return jinja2.Environment(loader=loader, autoescape=True).get_template("standalone.html")


_URL_ATTR_RE = re.compile(r'\b(href|src|action)="([^"]*)"')
_CONFIG_BASE_RE = re.compile(r'("base":\s*")([^"]*)(")')
_CONFIG_SEARCH_RE = re.compile(r'("search":\s*")([^"]*)(")')
_ARTICLE_START = '<article class="md-content__inner md-typeset">'
_ARTICLE_END = "</article>"
_TITLE_RE = re.compile(r"<title>(.*?)</title>", re.DOTALL)


def _absolute(url: str, page_path: str) -> str:
    if not url or url.startswith(("#", "/", "data:", "mailto:", "tel:", "javascript:")) or "://" in url:
        return url
    return urljoin(page_path, url)


def rebase(page_html: str, page_path: str) -> str:
    """Relative links of a built page made root-absolute, so the page works at any URL (the app
    answers at /api/drill, the page was built for /apply/drill/)."""
    html = _URL_ATTR_RE.sub(lambda m: f'{m.group(1)}="{_absolute(m.group(2), page_path)}"', page_html)
    # Material's script config holds two more page-relative paths: the site root and the search worker.
    html = _CONFIG_BASE_RE.sub(lambda m: m.group(1) + urljoin(page_path, m.group(2) + "/") + m.group(3), html)
    return _CONFIG_SEARCH_RE.sub(lambda m: m.group(1) + _absolute(m.group(2), page_path) + m.group(3), html)


_PAGE_CACHE: dict[Path, tuple[int, str]] = {}


def built_page(site_dir: Path, page_path: str) -> str | None:
    """The built page at `page_path` (e.g. "/apply/drill/"), rebased; None when the site isn't built.
    Kept until the file changes (a rebuilt site is picked up without a restart)."""
    target = site_dir / page_path.strip("/") / "index.html"
    try:
        stamp = target.stat().st_mtime_ns
    except OSError:
        return None
    cached = _PAGE_CACHE.get(target)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    html = rebase(target.read_text(encoding="utf-8"), page_path)
    _PAGE_CACHE[target] = (stamp, html)
    return html


def replace_article(page_html: str, title: str, body_html: str) -> str:
    # Two plain searches: a lazy regular expression across the article took 0.2 ms a page.
    start = page_html.find(_ARTICLE_START)
    end = page_html.find(_ARTICLE_END, start) if start >= 0 else -1
    if end < 0:
        raise ValueError("the built page holds no article")
    start += len(_ARTICLE_START)
    page_html = page_html[:start] + f"<h1>{escape(title)}</h1>\n{body_html}" + page_html[end:]
    return _TITLE_RE.sub(
        lambda m: f"<title>{escape(title)} - {m.group(1).split(' - ')[-1]}</title>", page_html, count=1
    )


def prefix_title(page_html: str, prefix: str) -> str:
    """Screen-reader users hear the title first: an error page says so there too."""
    return _TITLE_RE.sub(lambda m: f"<title>{escape(prefix)}{m.group(1)}</title>", page_html, count=1)


def standalone_page(title: str, body_html: str) -> str:
    """The page when the site is not built next to the app (the API answers without the layout)."""
    # body_html comes from our own autoescaped templates, never from raw user text.
    return _standalone().render(title=title, body=Markup(body_html))  # noqa: S704
