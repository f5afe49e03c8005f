"""The chambers' A4 flyer (共催施策案内チラシ), built from `content/` like the slide decks.

`content/flyer.yml` holds its own text; the rules come from `content/slides.yml`, the live seminars
ahead from `content/seminars.yml` and the organiser from `content/organisation.yml`, so the flyer a
chamber prints never says something the site no longer says. `<!-- md:flyer -->` shows it on the
site (it prints alone on one A4 sheet); `pdfs.py` renders the same markup to `chambers/flyer.pdf`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from campaign_core.content import parse_organisation
from campaign_core.settings import PROJECT_ROOT
from site_build import PageContext, content, from_yaml, shortcode, site_root
from site_build.seminars import join_lines, jst_date, parse_sessions, split_live
from site_build.slides import TitledText, parse_kit_copy

FLYER_CSS = PROJECT_ROOT / "docs" / "assets" / "css" / "flyer.css"
MAX_DATES = 3  # the sheet has room for three live sessions


@dataclass(frozen=True)
class FlyerText:
    eyebrow: str
    title: str
    catch: str
    lead: str
    steps: tuple[TitledText, ...]
    schedule_title: str
    schedule_empty: str
    apply_title: str
    apply_text: str
    cohost_label: str
    cohost_hint: str
    organiser_label: str


def parse_flyer(raw: dict[str, Any]) -> FlyerText:
    steps = tuple(TitledText(str(s["title"]), join_lines(s["text"])) for s in raw["steps"])
    if len(steps) != 3:
        raise ValueError("flyer.yml: the flyer shows the campaign's three steps")
    return from_yaml(FlyerText, raw, steps=steps)


@dataclass(frozen=True)
class DatedSession:
    date: str
    title: str


def flyer_values(site_url: str, now: datetime) -> dict[str, Any]:
    """What `flyer.html` renders, from the content files."""
    upcoming, _past = split_live(content("seminars", parse_sessions), now)
    return {
        "flyer": content("flyer", parse_flyer),
        "rules": content("slides", parse_kit_copy).rules,
        "organisation": content("organisation", parse_organisation),
        "upcoming": [
            DatedSession(jst_date(s.starts_at), s.title)
            for s in upcoming[:MAX_DATES]
            if s.starts_at is not None
        ],
        "site_url": site_root(site_url),
    }


@shortcode("flyer")
def render_flyer(ctx: PageContext, args: dict[str, str]) -> str:
    return ctx.render("flyer.html", **flyer_values(ctx.site_url, ctx.built_at))


def flyer_document(site_url: str, now: datetime) -> str:
    """The flyer as a standalone A4 page (inline styles) for the PDF."""
    flyer = PageContext(page_url="chambers/flyer/", site_url=site_url, built_at=now)
    body = flyer.render("flyer.html", **flyer_values(site_url, now))
    css = FLYER_CSS.read_text(encoding="utf-8")
    return (
        '<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>案内チラシ</title>'
        f"<style>@page {{ size: A4; margin: 14mm; }} body {{ margin: 0; }} {css}"
        ".flyer { border: none; max-width: none; }</style></head>"
        f"<body>{body}</body></html>"
    )
