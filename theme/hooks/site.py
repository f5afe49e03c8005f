"""MkDocs hooks of the guide site: a thin entry; the logic lives in `site_build`."""

from __future__ import annotations

from typing import Any

from site_build import expand_shortcodes, run_post_build


def on_page_markdown(markdown: str, *, page: Any, config: Any, files: Any) -> str:
    return expand_shortcodes(markdown, page=page, config=config)


def on_post_build(*, config: Any) -> None:
    run_post_build(config)
