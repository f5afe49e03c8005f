"""Build logic of the guide site, called from the MkDocs hook in `theme/hooks/site.py`.

Pages hold markers such as `<!-- md:seminars kind=live -->`; each marker is expanded by a renderer
registered with `@shortcode("seminars")` in one module of this package (modules are found
automatically, one per feature). Renderers draw on `content/*.yml` and the Jinja snippets under
`theme/snippets/`, so the site never drifts from the data HQ edits. Unknown markers raise.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import pkgutil
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from mkdocs.utils import get_relative_url

from campaign_core.clock import clock_from_env
from campaign_core.content_cache import load
from campaign_core.pages import snippet_environment
from campaign_core.settings import PROJECT_ROOT

CONTENT_DIR = Path(os.environ.get("CAMPAIGN_CONTENT_DIR", str(PROJECT_ROOT / "content")))
SNIPPETS_DIR = PROJECT_ROOT / "theme" / "snippets"

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T")
D = TypeVar("D", bound="DataclassInstance")
_MARKER = re.compile(r"<!--\s*md:([a-z0-9_-]+)((?:\s+[^>]*?)?)\s*-->")


@dataclass(frozen=True)
class PageContext:
    """What a renderer knows of the page it renders into."""

    page_url: str  # e.g. "drill/faq/"
    site_url: str
    built_at: datetime

    def url(self, target: str) -> str:
        """A link from this page to a site path such as "apply/drill/" or "assets/x.png"."""
        return get_relative_url(target, self.page_url or ".")

    def render(self, template: str, **values: Any) -> str:
        return snippet_environment(SNIPPETS_DIR).get_template(template).render(page=self, **values)


def content(name: str, parse: Callable[[Any], T]) -> T:
    """`content/<name>.yml` as `parse` makes it, parsed again only when the file changed."""
    return load(CONTENT_DIR, name, parse)


def from_yaml(cls: type[D], raw: Mapping[str, Any], **values: Any) -> D:
    """A dataclass from a YAML mapping: `values` as given, every other field the text `raw[name]`."""
    texts = {f.name: str(raw[f.name]) for f in dataclasses.fields(cls) if f.name not in values}
    return cls(**texts, **values)


def site_root(site_url: str) -> str:
    """The site URL with its trailing slash, to put site paths after."""
    return site_url if site_url.endswith("/") else site_url + "/"


Renderer = Callable[[PageContext, dict[str, str]], str]
PostBuild = Callable[[Any], None]
_RENDERERS: dict[str, Renderer] = {}
_POST_BUILD: list[PostBuild] = []


def shortcode(name: str) -> Callable[[Renderer], Renderer]:
    def register(func: Renderer) -> Renderer:
        if name in _RENDERERS:
            raise RuntimeError(f"shortcode {name!r} registered twice")
        _RENDERERS[name] = func
        return func

    return register


def post_build(func: PostBuild) -> PostBuild:
    _POST_BUILD.append(func)
    return func


@cache
def _load_modules() -> None:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


def build_time() -> datetime:
    """The build's "now" (`CAMPAIGN_NOW` pins it), used e.g. to mark past seminar sessions."""
    return clock_from_env(os.environ).now()


def expand_shortcodes(markdown: str, *, page: Any, config: Any) -> str:
    _load_modules()
    ctx = PageContext(page_url=page.url, site_url=str(config.get("site_url") or ""), built_at=build_time())

    def replace(match: re.Match[str]) -> str:
        name, raw_args = match.group(1), match.group(2).strip()
        renderer = _RENDERERS.get(name)
        if renderer is None:
            raise ValueError(f"{page.file.src_uri}: unknown shortcode md:{name}")
        args = dict(part.split("=", 1) for part in shlex.split(raw_args)) if raw_args else {}
        return renderer(ctx, args)

    return _MARKER.sub(replace, markdown)


def run_post_build(config: Any) -> None:
    _load_modules()
    for func in _POST_BUILD:
        func(config)
