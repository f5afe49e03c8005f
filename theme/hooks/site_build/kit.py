"""The chamber kit: banners, texts to copy and the chamber picker, from `content/`.

Banners are drawn as SVG from `content/banners.yml` after the build (`site/assets/banners/<id>.svg`),
so a new size or wording needs no image editor. Every snippet is rendered twice: a generic one in
the page (works without JS, selectable) and a template in `data-kit-template` where `kit.js` puts
`?ref=<chamber code>` when a chamber is picked. Shortcodes:

    <!-- md:kit-picker -->        chamber select, filter, live region, list of codes
    <!-- md:kit-banners -->       preview + HTML snippet + copy button per banner
    <!-- md:kit-texts channel=web|mail -->
    <!-- md:kit-role -->  <!-- md:kit-steps -->  <!-- md:kit-rules -->  <!-- md:kit-decks -->
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from campaign_core.content import Chamber
from campaign_core.content import parse_chambers as core_chambers
from site_build import PageContext, content, from_yaml, post_build, shortcode, site_root
from site_build.slides import DECK_DIR, parse_kit_copy, text_em

BANNER_DIR = "assets/banners"
REF_SLOT = "{ref}"  # where kit.js puts "?ref=<code>" (or nothing) in a snippet template
CODE_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")
CHAMBER_FIELDS = ("code", "name", "prefecture", "contact_email", "branch")


@dataclass(frozen=True)
class Banner:
    id: str
    label: str
    width: int
    height: int
    headline: tuple[str, ...]
    subline: tuple[str, ...]  # one line, or the lines of a narrow banner
    cta: str
    alt: str
    badges: tuple[str, ...] = ()

    @property
    def file(self) -> str:
        return f"{BANNER_DIR}/{self.id}.svg"


@dataclass(frozen=True)
class KitText:
    id: str
    channel: str
    label: str
    body: str


def parse_chambers(data: Any) -> tuple[Chamber, ...]:
    """The chambers of `chambers.yml`, every field required; codes go into `?ref=` links."""
    missing = [raw.get("code") for raw in data if not all(key in raw for key in CHAMBER_FIELDS)]
    if missing:
        raise ValueError(f"chambers.yml: chambers without {', '.join(CHAMBER_FIELDS)}: {missing}")
    chambers = core_chambers(data)
    codes = [chamber.code for chamber in chambers]
    bad = [code for code in codes if not CODE_PATTERN.match(code)]
    if bad:
        raise ValueError(f"chambers.yml: codes must be lowercase ASCII letters, digits and hyphens: {bad}")
    if len(codes) != len(set(codes)):
        raise ValueError("chambers.yml: chamber codes must be unique")
    return chambers


def _lines(value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(str(line) for line in value)


def parse_banners(data: Any) -> tuple[Banner, ...]:
    banners = tuple(
        from_yaml(
            Banner,
            raw,
            width=int(raw["width"]),
            height=int(raw["height"]),
            headline=tuple(str(line) for line in raw["headline"]),
            subline=_lines(raw["subline"]),
            badges=tuple(str(badge) for badge in raw.get("badges", ())),
        )
        for raw in data["banners"]
    )
    if len({banner.id for banner in banners}) != len(banners):
        raise ValueError("banners.yml: banner ids must be unique")
    return banners


def parse_texts(data: Any) -> tuple[KitText, ...]:
    return tuple(from_yaml(KitText, raw) for raw in data["texts"])


def banner_template(banner: Banner, site_url: str) -> str:
    """The HTML a chamber pastes, with REF_SLOT where the chamber's ?ref= goes."""
    root = site_root(site_url)
    return (
        f'<a href="{root}drill/{REF_SLOT}">'
        f'<img src="{root}{banner.file}" width="{banner.width}" height="{banner.height}" '
        f'alt="{html.escape(banner.alt, quote=True)}"></a>'
    )


def text_template(text: KitText, site_url: str) -> str:
    root = site_root(site_url)
    return text.body.replace("{drill_url}", f"{root}drill/{REF_SLOT}").replace(
        "{seminars_url}", f"{root}seminars/{REF_SLOT}"
    )


def with_ref(template: str, code: str | None) -> str:
    """What kit.js produces for a chamber code; None gives the generic snippet."""
    return template.replace(REF_SLOT, f"?ref={code}" if code else "")


def snippet(template: str, **values: Any) -> dict[str, Any]:
    """A snippet for the page: the template kit.js fills in and the generic one shown without JS."""
    return {**values, "template": template, "generic": with_ref(template, None)}


# Banner drawing. Text uses fonts every visitor's system has (SVG in <img> cannot load web fonts),
# sized from an estimate of glyph widths (`text_em`).
FONT_STACK = (
    "'Noto Sans CJK JP','Hiragino Kaku Gothic ProN','Hiragino Sans','BIZ UDPGothic',"
    "'Yu Gothic','Meiryo',sans-serif"
)
BG_FROM, BG_TO = "#1a237e", "#3949ab"
HEAD_COLOR, SUB_COLOR = "#ffffff", "#e8eaf6"
CTA_FILL, CTA_TEXT = "#ffb74d", "#1a237e"


def _fit(lines: Sequence[str], width: float, largest: float) -> float:
    widest = max((text_em(line) for line in lines), default=1.0)
    return min(largest, width / widest)


def _wrap(text: str, width: float, size: float) -> list[str]:
    """Greedy wrap by estimated width; never starts a line with closing punctuation."""
    lines: list[str] = []
    current = ""
    for char in text:
        if current and text_em(current + char) * size > width and char not in "、。)」!?":
            lines.append(current)
            current = char
        else:
            current += char
    if current:
        lines.append(current)
    return lines


def _text(x: float, y: float, size: float, content: str, *, color: str, anchor: str, bold: bool) -> str:
    weight = ' font-weight="700"' if bold else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size:.1f}" fill="{color}" text-anchor="{anchor}"{weight}>'
        f"{html.escape(content)}</text>"
    )


def _icon(x: float, y: float, size: float) -> str:
    """An envelope with a warning badge, drawn on a 48-unit grid."""
    scale = size / 48
    return (
        f'<g transform="translate({x:.1f} {y:.1f}) scale({scale:.3f})">'
        '<circle cx="24" cy="24" r="24" fill="#ffffff" fill-opacity="0.14"/>'
        '<rect x="9" y="15" width="30" height="20" rx="3" fill="#ffffff"/>'
        '<path d="M10.5 16.5 L24 27 L37.5 16.5" fill="none" stroke="#3949ab" stroke-width="2.4" '
        'stroke-linejoin="round" stroke-linecap="round"/>'
        '<circle cx="37" cy="14" r="8" fill="#ffb74d" stroke="#1a237e" stroke-width="2"/>'
        '<path d="M37 9.6 V15" stroke="#1a237e" stroke-width="2.6" stroke-linecap="round"/>'
        '<circle cx="37" cy="18.4" r="1.5" fill="#1a237e"/>'
        "</g>"
    )


def _pill(x: float, y: float, width: float, height: float, label: str, size: float) -> str:
    arrow = size * 0.45
    text_x = x + (width - arrow * 1.6) / 2
    base = y + height / 2 + size * 0.36
    ax, ay = x + width - size * 0.9, y + height / 2
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" rx="{height / 2:.1f}" '
        f'fill="{CTA_FILL}"/>'
        + _text(text_x, base, size, label, color=CTA_TEXT, anchor="middle", bold=True)
        + f'<path d="M{ax - arrow * 0.4:.1f} {ay - arrow * 0.6:.1f} L{ax + arrow * 0.3:.1f} {ay:.1f} '
        f'L{ax - arrow * 0.4:.1f} {ay + arrow * 0.6:.1f}" fill="none" stroke="{CTA_TEXT}" '
        f'stroke-width="{max(1.5, size * 0.14):.1f}" stroke-linecap="round" stroke-linejoin="round"/>'
    )


def _pill_width(label: str, size: float) -> float:
    return text_em(label) * size + size * 2.6


def _badge_width(label: str, size: float) -> float:
    return text_em(label) * size + size * 1.2


def _badge(x: float, y: float, label: str, size: float) -> str:
    width = _badge_width(label, size)
    height = size * 1.7
    centre, base = x + width / 2, y + height / 2 + size * 0.36
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" rx="{size * 0.35:.1f}" '
        'fill="none" stroke="#ffffff" stroke-opacity="0.75" stroke-width="1.2"/>'
        + _text(centre, base, size, label, color="#ffffff", anchor="middle", bold=True)
    )


def _horizontal(banner: Banner) -> list[str]:
    w, h = banner.width, banner.height
    pad = h * 0.14
    icon = min(h * 0.6, w * 0.14)
    cta_size = max(11.0, min(18.0, h * 0.2, w * 0.045))
    pill_w, pill_h = _pill_width(banner.cta, cta_size), cta_size * 2.1
    pill_x = w - pad - pill_w
    text_x = pad + icon + pad * 0.9
    area = pill_x - pad * 0.9 - text_x
    lines = len(banner.headline)
    subline = "".join(banner.subline)
    head = min(_fit(banner.headline, area, 40.0), (h - 2 * pad) / (lines * 1.22 + 0.62 * 1.35))
    sub = min(head * 0.62, area / max(text_em(subline), 1.0))
    block = lines * head * 1.22 + sub * 1.35
    top = (h - block) / 2
    parts = [_icon(pad, (h - icon) / 2, icon)]
    for index, line in enumerate(banner.headline):
        baseline = top + head * (1.22 * index + 0.98)
        parts.append(_text(text_x, baseline, head, line, color=HEAD_COLOR, anchor="start", bold=True))
    sub_y = top + lines * head * 1.22 + sub * 1.1
    parts.append(_text(text_x, sub_y, sub, subline, color=SUB_COLOR, anchor="start", bold=False))
    parts.append(_pill(pill_x, (h - pill_h) / 2, pill_w, pill_h, banner.cta, cta_size))
    return parts


def _stacked(banner: Banner) -> list[str]:
    """Rectangles and skyscrapers: icon, headline, subline, badges and button, centred."""
    w, h = banner.width, banner.height
    pad = w * 0.08
    inner = w - 2 * pad
    tall = h / w > 2
    icon = min(inner * (0.6 if tall else 0.42), h * 0.2)
    head = _fit(banner.headline, inner, w * (0.18 if tall else 0.12))
    sub = max(11.0, head * (0.55 if tall else 0.52))
    if len(banner.subline) > 1:
        sub = min(sub, _fit(banner.subline, inner, sub))
        sub_lines = list(banner.subline)
    else:
        sub_lines = _wrap(banner.subline[0], inner, sub)
    badge_size = max(10.0, sub * 0.92)
    cta_size = max(12.0, min(17.0, w * 0.1 if tall else w * 0.055))
    pill_w = min(inner, _pill_width(banner.cta, cta_size))
    pill_h = cta_size * 2.2
    # Badges go on one row when they fit, else one per row.
    badge_widths = [_badge_width(b, badge_size) for b in banner.badges]
    row_width = sum(badge_widths) + badge_size * 0.6 * max(len(badge_widths) - 1, 0)
    one_row = row_width <= inner
    badge_rows = (1 if one_row else len(banner.badges)) if banner.badges else 0
    blocks = [
        icon,
        len(banner.headline) * head * 1.2,
        len(sub_lines) * sub * 1.45,
        badge_rows * badge_size * 2.1,
        pill_h,
    ]
    blocks = [b for b in blocks if b > 0]
    spare = h - 2 * pad - sum(blocks)
    gap = max(2.0, min(spare / max(len(blocks) - 1, 1), h * (0.05 if tall else 0.06)))
    y = (h - sum(blocks) - gap * (len(blocks) - 1)) / 2
    cx = w / 2
    parts = [_icon(cx - icon / 2, y, icon)]
    y += icon + gap
    for line in banner.headline:
        parts.append(_text(cx, y + head * 0.95, head, line, color=HEAD_COLOR, anchor="middle", bold=True))
        y += head * 1.2
    y += gap
    for line in sub_lines:
        parts.append(_text(cx, y + sub * 1.05, sub, line, color=SUB_COLOR, anchor="middle", bold=False))
        y += sub * 1.45
    if badge_rows:
        y += gap
        if one_row:
            x = cx - row_width / 2
            for label, width in zip(banner.badges, badge_widths, strict=True):
                parts.append(_badge(x, y + badge_size * 0.2, label, badge_size))
                x += width + badge_size * 0.6
            y += badge_size * 2.1
        else:
            for label, width in zip(banner.badges, badge_widths, strict=True):
                parts.append(_badge(cx - width / 2, y + badge_size * 0.2, label, badge_size))
                y += badge_size * 2.1
    y += gap
    parts.append(_pill(cx - pill_w / 2, y, pill_w, pill_h, banner.cta, cta_size))
    return parts


def banner_svg(banner: Banner) -> str:
    w, h = banner.width, banner.height
    body = _horizontal(banner) if w / h >= 2.5 else _stacked(banner)
    # Two soft circles give depth without an image file.
    big = max(w, h)
    bar = max(3.0, min(6.0, h * 0.04))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
        f'role="img" aria-label="{html.escape(banner.alt, quote=True)}">'
        f"<title>{html.escape(banner.alt)}</title>"
        f"<style>text{{font-family:{FONT_STACK};}}</style>"
        '<defs><linearGradient id="bg" x1="0" y1="0" x2="1" y2="1">'
        f'<stop offset="0" stop-color="{BG_FROM}"/><stop offset="1" stop-color="{BG_TO}"/>'
        "</linearGradient></defs>"
        f'<rect width="{w}" height="{h}" fill="url(#bg)"/>'
        f'<circle cx="{w * 0.92:.1f}" cy="{h * 0.05:.1f}" r="{big * 0.22:.1f}" '
        'fill="#ffffff" fill-opacity="0.07"/>'
        f'<circle cx="{w * 0.05:.1f}" cy="{h:.1f}" r="{big * 0.18:.1f}" fill="#ffb74d" fill-opacity="0.12"/>'
        f'<rect x="0" y="{h - bar:.1f}" width="{w}" height="{bar:.1f}" fill="#ffb74d"/>'
        + "".join(body)
        + "</svg>\n"
    )


@post_build
def write_banners(config: Any) -> None:
    out = Path(config["site_dir"]) / BANNER_DIR
    out.mkdir(parents=True, exist_ok=True)
    for banner in content("banners", parse_banners):
        (out / f"{banner.id}.svg").write_text(banner_svg(banner), encoding="utf-8")


# Shortcodes.
@shortcode("kit-picker")
def render_picker(ctx: PageContext, args: dict[str, str]) -> str:
    return ctx.render("kit_picker.html", chambers=content("chambers", parse_chambers))


@shortcode("kit-banners")
def render_banners(ctx: PageContext, args: dict[str, str]) -> str:
    items = [
        snippet(banner_template(banner, ctx.site_url), banner=banner, preview=ctx.url(banner.file))
        for banner in content("banners", parse_banners)
    ]
    return ctx.render("kit_banners.html", items=items)


@shortcode("kit-texts")
def render_texts(ctx: PageContext, args: dict[str, str]) -> str:
    channel = args.get("channel", "")
    texts = [text for text in content("banners", parse_texts) if text.channel == channel]
    if not texts:
        raise ValueError(f"md:kit-texts: no texts for channel={channel!r} in banners.yml")
    items = [snippet(text_template(text, ctx.site_url), text=text) for text in texts]
    return ctx.render("kit_texts.html", items=items)


@shortcode("kit-role")
def render_role(ctx: PageContext, args: dict[str, str]) -> str:
    return ctx.render("kit_role.html", role=content("slides", parse_kit_copy).chamber_role)


@shortcode("kit-steps")
def render_steps(ctx: PageContext, args: dict[str, str]) -> str:
    return ctx.render("kit_steps.html", steps=content("slides", parse_kit_copy).kit_steps)


@shortcode("kit-rules")
def render_rules(ctx: PageContext, args: dict[str, str]) -> str:
    return ctx.render("kit_rules.html", rules=content("slides", parse_kit_copy).rules)


@shortcode("kit-decks")
def render_decks(ctx: PageContext, args: dict[str, str]) -> str:
    # The decks are written after the build, so MkDocs cannot know them: plain relative <a href>.
    decks = [
        {"deck": deck, "href": ctx.url(f"{DECK_DIR}/{deck.file}")}
        for deck in content("slides", parse_kit_copy).decks
    ]
    return ctx.render("kit_decks.html", decks=decks)
