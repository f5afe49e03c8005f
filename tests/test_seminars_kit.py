"""The seminars page and the chamber kit: built from content/, never drifting from it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from lxml import etree
from lxml import html as lxml_html
from mkdocs.config import load_config
from pptx import Presentation
from site_build import PageContext
from site_build.kit import (
    banner_template,
    parse_banners,
    parse_chambers,
    parse_texts,
    text_template,
    with_ref,
)
from site_build.seminars import parse_sessions, render_seminars, split_live
from site_build.slides import DeckSources, body_size, deck_slides, parse_kit_copy

from campaign_core.clock import parse_instant
from campaign_core.settings import PROJECT_ROOT
from tests.support.site import build_site

CONTENT = PROJECT_ROOT / "content"
PINNED_NOW = "2027-04-01T09:00:00+09:00"


def content(name: str) -> Any:
    return yaml.safe_load((CONTENT / f"{name}.yml").read_text(encoding="utf-8"))


def site_url_of_build() -> str:
    return str(load_config(str(PROJECT_ROOT / "mkdocs.yml"))["site_url"])


def page_tree(site: Path, path: str) -> Any:
    return lxml_html.fromstring((site / path).read_text(encoding="utf-8"))


def deck_text(path: Path) -> str:
    prs = Presentation(str(path))
    return "\n".join(
        shape.text_frame.text for slide in prs.slides for shape in slide.shapes if shape.has_text_frame
    )


@pytest.fixture(scope="module")
def pinned_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The site built as if it were `PINNED_NOW`, through the same env variable staff use."""
    out = tmp_path_factory.mktemp("pinned-site")
    result = build_site(out, CAMPAIGN_NOW=PINNED_NOW)
    assert result.returncode == 0, result.stdout + result.stderr
    yield out


# Seminars: past sessions.


@pytest.mark.parametrize(
    "now",
    ["2026-11-27T10:00:00+09:00", "2026-12-16T14:00:00+09:00", "2027-04-01T00:00:00+09:00"],
)
def test_live_sessions_started_before_build_time_are_listed_as_past(now: str) -> None:
    built_at = parse_instant(now)
    ctx = PageContext(page_url="seminars/", site_url="http://example.jp/", built_at=built_at)
    tree = lxml_html.fromstring(render_seminars(ctx, {"kind": "live"}))
    past_ids = [li.get("id") for li in tree.cssselect(".seminar-past li")]
    upcoming_ids = [li.get("id") for li in tree.cssselect(".seminar-list > li")]

    live = [s for s in content("seminars")["sessions"] if s["kind"] == "live"]
    expected_past = [s for s in live if parse_instant(s["starts_at"]) <= built_at]
    expected_ahead = [s for s in live if parse_instant(s["starts_at"]) > built_at]
    # Past ones latest first, upcoming ones soonest first; each past one carries the 終了 badge.
    assert past_ids == [
        f"session-{s['id']}" for s in sorted(expected_past, key=lambda s: s["starts_at"], reverse=True)
    ]
    assert upcoming_ids == [
        f"session-{s['id']}" for s in sorted(expected_ahead, key=lambda s: s["starts_at"])
    ]
    for item in tree.cssselect(".seminar-past li"):
        assert item.cssselect(".seminar-badge--past")[0].text_content() == "終了"


def test_schedule_has_a_past_session_at_the_campaign_date_and_sessions_ahead() -> None:
    sessions = parse_sessions(content("seminars"))
    upcoming, past = split_live(sessions, parse_instant("2026-11-27T00:00:00+09:00"))
    assert past, "at least one live session must already be over on 2026-11-27"
    assert upcoming, "the schedule must show sessions ahead"
    assert {s.kind for s in sessions} == {"recorded", "live", "mini"}


def test_pinned_build_marks_past_sessions_through_campaign_now(pinned_site: Path) -> None:
    tree = page_tree(pinned_site, "seminars/index.html")
    shown_past = {li.get("id") for li in tree.cssselect(".seminar-past li")}
    now = parse_instant(PINNED_NOW)
    live = [s for s in content("seminars")["sessions"] if s["kind"] == "live"]
    assert shown_past == {f"session-{s['id']}" for s in live if parse_instant(s["starts_at"]) <= now}
    # A session still ahead at that date is not marked past.
    ahead = [s for s in live if parse_instant(s["starts_at"]) > now]
    assert ahead
    assert not shown_past & {f"session-{s['id']}" for s in ahead}


def test_open_session_after_its_start_is_past_even_if_status_says_open() -> None:
    data = {
        "sessions": [
            {
                "id": "live-x",
                "kind": "live",
                "title": "テスト",
                "description": "説明",
                "audience": "全員",
                "duration_min": 60,
                "status": "open",
                "starts_at": "2026-01-10T14:00:00+09:00",
                "capacity": 10,
            }
        ]
    }
    (session,) = parse_sessions(data)
    assert session.is_past(parse_instant("2026-01-10T14:00:00+09:00"))
    assert not session.is_open(parse_instant("2026-01-10T15:00:00+09:00"))
    assert session.is_open(parse_instant("2026-01-10T13:59:00+09:00"))


def test_live_session_without_capacity_is_rejected() -> None:
    raw = {"id": "x", "kind": "live", "title": "t", "description": "d", "audience": "a", "duration_min": 60}
    with pytest.raises(ValueError, match="starts_at and capacity"):
        parse_sessions({"sessions": [{**raw, "starts_at": "2027-01-01T10:00:00+09:00"}]})


def test_seminars_page_loads_no_player_until_clicked(built_site: Path) -> None:
    page = (built_site / "seminars" / "index.html").read_text(encoding="utf-8")
    tree = lxml_html.fromstring(page)
    assert not tree.cssselect("iframe")
    assert "ytimg.com" not in page
    videos = [s for s in content("seminars")["sessions"] if s.get("youtube_id")]
    links = tree.cssselect("a[data-facade-embed]")
    assert [a.get("href") for a in links] == [
        f"https://www.youtube.com/watch?v={v['youtube_id']}" for v in videos
    ]
    assert [a.get("data-facade-embed") for a in links] == [
        f"https://www.youtube-nocookie.com/embed/{v['youtube_id']}?autoplay=1" for v in videos
    ]
    # Zoom and YouTube Live URLs go out in the signup reply only.
    for session in content("seminars")["sessions"]:
        for key in ("zoom_url", "youtube_live_url"):
            if session.get(key):
                assert session[key] not in page


# Chambers.


def test_chamber_codes_are_unique_and_url_safe() -> None:
    chambers = content("chambers")
    assert 15 <= len(chambers) <= 25
    codes = [c["code"] for c in chambers]
    assert len(codes) == len(set(codes))
    for code in codes:
        assert re.fullmatch(r"[a-z0-9-]+", code), code
    assert len(parse_chambers(chambers)) == len(chambers)


def test_chamber_contacts_are_fictional_addresses() -> None:
    for chamber in content("chambers"):
        assert re.search(r"@([a-z0-9.-]+\.)?example\.(jp|com)$", chamber["contact_email"]), chamber


@pytest.mark.parametrize(
    ("codes", "message"),
    [
        (["osaka", "osaka"], "unique"),
        (["Osaka"], "lowercase"),
        (["osaka city"], "lowercase"),
        (["大阪"], "lowercase"),
    ],
)
def test_bad_chamber_codes_are_rejected(codes: list[str], message: str) -> None:
    raw = [
        {"code": c, "name": "n", "prefecture": "p", "contact_email": "a@example.jp", "branch": "b"}
        for c in codes
    ]
    with pytest.raises(ValueError, match=message):
        parse_chambers(raw)


# Banners and texts.


def test_every_banner_has_a_preview_and_a_snippet_on_the_kit_page(built_site: Path) -> None:
    tree = page_tree(built_site, "chambers/index.html")
    site_url = site_url_of_build()
    banners = parse_banners(content("banners"))
    assert len(banners) >= 5
    for banner in banners:
        section = tree.get_element_by_id(f"banner-{banner.id}")
        (img,) = section.cssselect("img[data-kit-preview]")
        assert img.get("src") == f"../assets/banners/{banner.id}.svg"
        assert (img.get("width"), img.get("height"), img.get("alt")) == (
            str(banner.width),
            str(banner.height),
            banner.alt,
        )
        code = tree.get_element_by_id(f"snippet-{banner.id}")
        generic = code.text_content()
        assert generic == (
            f'<a href="{site_url}drill/"><img src="{site_url}assets/banners/{banner.id}.svg" '
            f'width="{banner.width}" height="{banner.height}" alt="{banner.alt}"></a>'
        )
        assert with_ref(code.get("data-kit-template"), "osaka") == generic.replace(
            f'{site_url}drill/"', f'{site_url}drill/?ref=osaka"'
        )
        assert section.cssselect(f'button[data-kit-copy="snippet-{banner.id}"]')


def test_banner_images_are_drawn_from_banners_yml(built_site: Path) -> None:
    for banner in parse_banners(content("banners")):
        svg = etree.fromstring((built_site / "assets" / "banners" / f"{banner.id}.svg").read_bytes())
        assert (svg.get("width"), svg.get("height")) == (str(banner.width), str(banner.height))
        drawn = "".join(svg.itertext())
        for line in (*banner.headline, *banner.subline, banner.cta, *banner.badges):
            assert line in drawn


def test_every_text_is_on_the_texts_page_with_absolute_links(built_site: Path) -> None:
    tree = page_tree(built_site, "chambers/texts/index.html")
    site_url = site_url_of_build()
    texts = parse_texts(content("banners"))
    assert {t.channel for t in texts} == {"web", "mail"}
    for text in texts:
        code = tree.get_element_by_id(f"textblock-{text.id}")
        assert code.text_content() == with_ref(text_template(text, site_url), None)
        assert f"{site_url}drill/" in code.text_content()
        assert "?ref=kobe" in with_ref(code.get("data-kit-template"), "kobe")


def test_kit_page_lists_every_chamber_in_the_picker(built_site: Path) -> None:
    tree = page_tree(built_site, "chambers/index.html")
    options = [o.get("value") for o in tree.cssselect("#kit-chamber option") if o.get("value")]
    assert options == [c["code"] for c in content("chambers")]


def test_banner_snippet_escapes_quotes_in_alt_text() -> None:
    (banner,) = parse_banners(
        {
            "banners": [
                {
                    "id": "b",
                    "label": "l",
                    "width": 1,
                    "height": 1,
                    "headline": ["h"],
                    "subline": "s",
                    "cta": "c",
                    "alt": 'say "hi"',
                }
            ]
        }
    )
    assert 'alt="say &quot;hi&quot;"' in banner_template(banner, "https://x.example.jp/")


# Slide decks.


def test_decks_exist_open_and_carry_the_facts_of_content(pinned_site: Path) -> None:
    copy = parse_kit_copy(content("slides"))
    sessions = parse_sessions(content("seminars"))
    upcoming, past = split_live(sessions, parse_instant(PINNED_NOW))
    texts = {deck.file: deck_text(pinned_site / "chambers" / deck.file) for deck in copy.decks}
    assert set(texts) == {"campaign-intro.pptx", "chamber-role.pptx"}

    for text in texts.values():
        for rule in copy.rules:
            assert rule.text in text
    intro = texts["campaign-intro.pptx"]
    recorded = next(s for s in sessions if s.kind == "recorded")
    live = next(s for s in sessions if s.kind == "live")
    assert f"約{recorded.duration_min}分" in intro
    assert f"約{live.duration_min}分" in intro
    assert f"定員{live.capacity}名" in intro
    for mini in (s for s in sessions if s.kind == "mini"):
        assert mini.title in intro
    for session in upcoming:
        assert session.title in intro
    for session in past:
        assert session.title not in intro

    role = texts["chamber-role.pptx"]
    for item in copy.chamber_role:
        assert item.title in role
        assert item.text in role
    for step in copy.kit_steps:
        assert step in role


def test_deck_text_uses_the_font_named_in_slides_yml(pinned_site: Path) -> None:
    copy = parse_kit_copy(content("slides"))
    prs = Presentation(str(pinned_site / "chambers" / copy.decks[0].file))
    faces = {
        run.font.name
        for slide in prs.slides
        for shape in slide.shapes
        if shape.has_text_frame
        for para in shape.text_frame.paragraphs
        for run in para.runs
    }
    assert faces == {copy.font}


def test_kit_page_links_the_decks_and_shows_the_same_rules(built_site: Path) -> None:
    tree = page_tree(built_site, "chambers/index.html")
    copy = parse_kit_copy(content("slides"))
    hrefs = [a.get("href") for a in tree.cssselect("a.kit-deck__link")]
    assert hrefs == [deck.file for deck in copy.decks]
    for deck in copy.decks:
        assert (built_site / "chambers" / deck.file).is_file()
    shown = [dd.text_content() for dd in tree.cssselect("dl.kit-rules dd")]
    assert shown == [rule.text for rule in copy.rules]


def test_build_time_is_the_pinned_instant_in_the_decks(pinned_site: Path) -> None:
    # The schedule slide of a pinned build lists exactly the sessions ahead of the pinned date.
    sessions = parse_sessions(content("seminars"))
    now: datetime = parse_instant(PINNED_NOW)
    intro = deck_text(pinned_site / "chambers" / "campaign-intro.pptx")
    listed = [s.id for s in sessions if s.kind == "live" and s.title in intro]
    assert listed == [s.id for s in sessions if s.kind == "live" and s.starts_at and s.starts_at > now]


def test_every_slide_fits_and_an_overlong_one_is_refused() -> None:
    copy = parse_kit_copy(content("slides"))
    sources = DeckSources(
        copy=copy,
        sessions=parse_sessions(content("seminars")),
        now=parse_instant(PINNED_NOW),
        site_url="https://drill.example.jp/",
    )
    for deck in copy.decks:
        for slide in deck_slides(deck, sources):
            assert body_size(slide.bullets) is not None, slide.title
    assert body_size(["訓練のお知らせです。" * 12] * 8) is None


def test_open_sessions_link_to_the_signup_form_and_past_ones_do_not(pinned_site: Path) -> None:
    tree = page_tree(pinned_site, "seminars/index.html")
    now = parse_instant(PINNED_NOW)
    for session in parse_sessions(content("seminars")):
        links = tree.xpath(f'//*[@id="session-{session.id}"]//a[contains(@href, "apply/seminar/")]')
        hrefs = [a.get("href") for a in links]
        if session.is_open(now):
            assert hrefs == [f"../apply/seminar/?session={session.id}"], session.id
        else:
            assert hrefs == [], session.id
