"""Every link and embedded resource of the built site points at something that exists.

`mkdocs build --strict` checks Markdown links only; the raw HTML that shortcodes render (cards, banners,
forms, kits) and the theme's own markup are checked here, on the built files: each internal `href`/`src`
must name a file of the built site (or a GET route of the local app, e.g. `/api/...`), each `#fragment`
an element id of its target page. External links are not fetched (the network is closed); they must use
https (or mailto:/tel:).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

import lxml.etree
import lxml.html
import pytest
from flask import Flask
from mkdocs.config import load_config
from werkzeug.exceptions import HTTPException

from campaign_core.settings import PROJECT_ROOT
from tests.support.site import SITE_PAGES, SitePage

# Attributes that load or link something; `action` is left out: forms post to the API, not to files.
LINK_ATTRIBUTES = ("href", "src", "poster", "data")
EXTERNAL_SCHEMES = ("https", "mailto", "tel")
SITE_BLUEPRINT_ENDPOINT = "site.page"  # the catch-all that serves the built files (local/serve.py)


@cache
def site_url() -> str:
    """The configured site URL (absolute links such as `rel=canonical` start with it)."""
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    config = load_config(str(PROJECT_ROOT / "mkdocs.yml"))
    return str(config["site_url"] or "http://127.0.0.1:8000/")


def page_url_of(html_file: str) -> str:
    """The URL path (below the site root) a built HTML file is served at."""
    path = PurePosixPath(html_file)
    if path.name == "index.html":
        parent = str(path.parent)
        return "" if parent == "." else f"{parent}/"
    return str(path)


@dataclass(frozen=True)
class Link:
    tag: str
    attribute: str
    value: str
    line: int | None

    def describe(self) -> str:
        return f'<{self.tag} {self.attribute}="{self.value}"> (line {self.line})'


def links_of(document: lxml.html.HtmlElement) -> list[Link]:
    found: list[Link] = []
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue  # comments and processing instructions
        for attribute in LINK_ATTRIBUTES:
            value = element.get(attribute)
            if value is not None and not (attribute == "data" and element.tag != "object"):
                found.append(Link(element.tag, attribute, value.strip(), element.sourceline))
        srcset = element.get("srcset")
        if srcset:
            for candidate in srcset.split(","):
                url = candidate.strip().split(" ")[0]
                if url:
                    found.append(Link(element.tag, "srcset", url, element.sourceline))
    return found


@cache
def parse(html_path: Path) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(html_path.read_bytes())


def ids_of(html_path: Path) -> set[str]:
    document = parse(html_path)
    return {str(value) for value in document.xpath("//@id | //a/@name")}


class LinkChecker:
    """Resolves the links of one built site; `problems(page)` lists what is broken on a page."""

    def __init__(self, site_dir: Path, app: Flask) -> None:
        self.site_dir = site_dir
        root = urlsplit(site_url())
        self.site_origin = (root.scheme, root.netloc)
        self.site_path = root.path if root.path.endswith("/") else f"{root.path}/"
        self.routes = app.url_map.bind(root.netloc or "localhost")

    def target_file(self, path: str) -> Path | None:
        """The built file a site path (below the root, unquoted) is served from, as local/serve.py does."""
        candidate = (self.site_dir / path).resolve()
        if not candidate.is_relative_to(self.site_dir.resolve()):
            return None
        if candidate.is_dir():
            candidate = candidate / "index.html"
        return candidate if candidate.is_file() else None

    def is_app_route(self, path: str) -> bool:
        try:
            endpoint, _args = self.routes.match(f"/{path}", method="GET")
        except HTTPException:
            return False
        return endpoint != SITE_BLUEPRINT_ENDPOINT

    def check(self, page: SitePage, link: Link) -> str | None:
        """None when the link is fine, else what is wrong with it."""
        value = link.value
        if not value:
            return "empty URL"
        base = urljoin(site_url(), self.site_path.lstrip("/") + page.url) if page.url else site_url()
        absolute = urlsplit(urljoin(base, value))
        scheme = absolute.scheme.lower()
        if link.attribute != "href" and scheme == "data":
            return None  # inline images and icons
        if scheme in ("http", "https") and (scheme, absolute.netloc) == self.site_origin:
            return self.check_internal(absolute.path, absolute.fragment)
        if scheme in EXTERNAL_SCHEMES:
            if scheme == "https" and link.attribute != "href":
                return "an embedded resource from another host (pages may load only the site's own files)"
            return None
        return f"scheme {scheme or '(none)'}: external links must use https (or mailto:/tel:)"

    def check_internal(self, url_path: str, fragment: str) -> str | None:
        if not url_path.startswith(self.site_path):
            return f"path {url_path} is outside the site root {self.site_path}"
        path = unquote(url_path.removeprefix(self.site_path))
        target = self.target_file(path)
        if target is None:
            if self.is_app_route(path):
                return None
            return f"no file {path or 'index.html'} in the built site and no app route /{path}"
        if fragment:
            if target.suffix != ".html":
                return f"fragment #{fragment} on a non-HTML file"
            if unquote(fragment) not in ids_of(target):
                shown = target.relative_to(self.site_dir.resolve())
                return f"no element with id {unquote(fragment)!r} in {shown}"
        return None

    def problems(self, page: SitePage) -> list[str]:
        html_path = self.site_dir / page.file
        found = []
        for link in links_of(parse(html_path)):
            problem = self.check(page, link)
            if problem:
                found.append(f"{link.describe()}: {problem}")
        return found


@pytest.fixture(scope="module")
def checker(built_site: Path, tmp_path_factory: pytest.TempPathFactory) -> LinkChecker:
    from campaign_core.settings import Settings
    from local.serve import create_local_app
    from tests.support import TEST_SECRET

    settings = Settings(
        data_dir=tmp_path_factory.mktemp("links-var"),
        site_dir=built_site,
        content_dir=PROJECT_ROOT / "content",
        secret_key=TEST_SECRET,
    )
    return LinkChecker(built_site, create_local_app(settings))


def test_every_built_page_is_checked(built_site: Path) -> None:
    # The parametrised list comes from the MkDocs configuration; the built sitemap must hold the same pages.
    sitemap = lxml.etree.parse(str(built_site / "sitemap.xml"))
    locs = sitemap.xpath("//s:loc/text()", namespaces={"s": "http://www.sitemaps.org/schemas/sitemap/0.9"})
    in_sitemap = {str(loc).removeprefix(site_url()) for loc in locs}
    checked = {page.url for page in SITE_PAGES}
    assert in_sitemap, "the built sitemap lists no page"
    assert in_sitemap <= checked, f"pages not checked: {sorted(in_sitemap - checked)}"
    for page in SITE_PAGES:
        assert (built_site / page.file).is_file(), f"{page.file} is not in the built site"


@pytest.mark.parametrize("page", SITE_PAGES, ids=lambda page: page.id)
def test_links_and_fragments_resolve(checker: LinkChecker, page: SitePage) -> None:
    problems = checker.problems(page)
    assert not problems, f"/{page.url}: {len(problems)} broken link(s):\n" + "\n".join(problems)


@pytest.mark.parametrize("page", SITE_PAGES, ids=lambda page: page.id)
def test_element_ids_are_unique(built_site: Path, page: SitePage) -> None:
    # A fragment must name exactly one element, and assistive technology relies on unique ids.
    ids = [str(value) for value in parse(built_site / page.file).xpath("//@id")]
    duplicates = sorted({value for value in ids if ids.count(value) > 1})
    assert not duplicates, f"/{page.url}: duplicate id(s) {duplicates}"


def test_generated_html_files_have_working_links(built_site: Path, checker: LinkChecker) -> None:
    # HTML files written by post-build steps (not pages of the nav) are checked too.
    known = {page.file for page in SITE_PAGES}
    extra = sorted(
        str(path.relative_to(built_site))
        for path in built_site.rglob("*.html")
        if str(path.relative_to(built_site)) not in known
    )
    problems = []
    for html_file in extra:
        page = SitePage(url=page_url_of(html_file), file=html_file)
        problems += [f"{html_file}: {problem}" for problem in checker.problems(page)]
    assert not problems, "\n".join(problems)


def test_checker_reports_broken_links(tmp_path: Path, checker: LinkChecker) -> None:
    # The checker itself must catch each kind of breakage, or a green run would mean nothing.
    page_dir = tmp_path / "probe"
    page_dir.mkdir()
    (page_dir / "index.html").write_text(
        '<html><body><h1 id="here">x</h1><a href="../missing/">a</a><a href="#nowhere">b</a>'
        '<a href="#here">c</a><a href="http://example.org/">d</a><img src="https://cdn.example.org/x.png">'
        '<a href="https://www.ipa.go.jp/">e</a><a href="mailto:x@example.jp">f</a>'
        '<a href="../api/health">g</a></body></html>',
        encoding="utf-8",
    )
    probe = LinkChecker(tmp_path, Flask(__name__))
    probe.routes = checker.routes
    problems = probe.problems(SitePage(url="probe/", file="probe/index.html"))
    assert len(problems) == 4, problems
    assert "missing/" in problems[0]
    assert "nowhere" in problems[1]
    assert "http" in problems[2]
    assert "another host" in problems[3]
