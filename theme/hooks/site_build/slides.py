"""The chamber kit's slide decks (.pptx), built after the site from `content/`.

`content/slides.yml` holds the deck text and the pieces the kit page shows too (drill rules, the
chamber's role, the kit's steps); generated slides draw on `content/seminars.yml`, so a deck handed
to a chamber never says something the site no longer says. The decks land in `site/chambers/`.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR
from pptx.oxml.ns import qn
from pptx.util import Emu, Pt

from site_build import build_time, content, from_yaml, post_build, site_root
from site_build.seminars import Session, join_lines, jst_date, parse_sessions, split_live

DECK_DIR = "chambers"


def _rgb(hex_code: str) -> RGBColor:
    # python-pptx's RGBColor has no annotations; mypy --strict refuses the untyped call otherwise.
    color: RGBColor = RGBColor.from_string(hex_code)  # type: ignore[no-untyped-call]
    return color


INDIGO = _rgb("1A237E")
ACCENT = _rgb("C2410C")
INK = _rgb("212121")
WHITE = _rgb("FFFFFF")
SLIDE_W = Emu(12192000)  # 16:9, 13.333 in
SLIDE_H = Emu(6858000)  # 7.5 in
EMU_PER_PT = 12700
BODY_SIZES = (28, 26, 24, 22, 20, 18, 16)  # largest first; the first size at which the bullets fit is used
SPACE_AFTER_PT = 12


@dataclass(frozen=True)
class TitledText:
    """A drill rule (its label as the title) or one thing a chamber is asked to do."""

    title: str
    text: str  # one paragraph: the YAML's line breaks are joined away


@dataclass(frozen=True)
class Slide:
    title: str
    bullets: tuple[str, ...]
    numbered: bool = False  # steps numbered "1.", "2.", ...; else square bullets


@dataclass(frozen=True)
class DeckSpec:
    file: str
    label: str
    title: str
    subtitle: str
    slides: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class KitCopy:
    """Everything slides.yml holds, parsed."""

    font: str  # the decks' typeface, set for Latin and Japanese text alike
    rules: tuple[TitledText, ...]
    chamber_role: tuple[TitledText, ...]
    kit_steps: tuple[str, ...]
    decks: tuple[DeckSpec, ...]


def parse_kit_copy(data: Any) -> KitCopy:
    decks = tuple(from_yaml(DeckSpec, deck, slides=tuple(deck["slides"])) for deck in data["decks"])
    for deck in decks:
        if not deck.file.endswith(".pptx") or "/" in deck.file:
            raise ValueError(f"slides.yml: deck file {deck.file!r} must be a plain name ending in .pptx")
        for slide in deck.slides:
            generated = slide.get("generate")
            if generated is not None and generated not in GENERATORS:
                raise ValueError(f"slides.yml: unknown generated slide {generated!r}")
    return KitCopy(
        font=str(data["font"]),
        rules=tuple(TitledText(str(r["label"]), join_lines(r["text"])) for r in data["rules"]),
        chamber_role=tuple(TitledText(str(r["title"]), join_lines(r["text"])) for r in data["chamber_role"]),
        kit_steps=tuple(join_lines(step) for step in data["kit_steps"]),
        decks=decks,
    )


# Generated slides: each turns content data into a title and bullets.
@dataclass(frozen=True)
class DeckSources:
    copy: KitCopy
    sessions: Sequence[Session]
    now: datetime
    site_url: str


def _seminars_slide(src: DeckSources) -> Slide:
    by_kind = {kind: [s for s in src.sessions if s.kind == kind] for kind in ("recorded", "live", "mini")}
    bullets: list[str] = []
    for video in by_kind["recorded"]:
        bullets.append(
            f"録画セミナー(約{video.duration_min}分):いつでも何度でも視聴できます。「{video.title}」"
        )
    live = by_kind["live"]
    if live:
        minutes = max(s.duration_min for s in live)
        seats = max(s.capacity or 0 for s in live)
        bullets.append(
            f"ライブセミナー(約{minutes}分):四半期ごとにZoomで開催します。定員{seats}名で、"
            "超えた場合はYouTube Liveで視聴できます。"
        )
    minis = by_kind["mini"]
    if minis:
        shortest = min(s.duration_min for s in minis)
        longest = max(s.duration_min for s in minis)
        topics = "、".join(f"「{s.title}」" for s in minis)
        bullets.append(f"ミニセミナー({shortest}〜{longest}分):{topics}")
    bullets.append("どのセミナーも無料です。")
    return Slide("セミナーの種類", tuple(bullets))


def _schedule_slide(src: DeckSources) -> Slide:
    upcoming, _past = split_live(src.sessions, src.now)
    bullets = tuple(f"{jst_date(s.starts_at)} 「{s.title}」" for s in upcoming if s.starts_at is not None)
    if not bullets:
        bullets = ("次回の日程は案内サイトのセミナーページでお知らせします。",)
    return Slide("これからのライブセミナー", bullets)


def _rules_slide(src: DeckSources) -> Slide:
    return Slide("参加のルール", tuple(f"{rule.title}:{rule.text}" for rule in src.copy.rules))


def _role_slide(src: DeckSources) -> Slide:
    return Slide(
        "商工会議所にお願いしたいこと",
        tuple(f"{item.title}:{item.text}" for item in src.copy.chamber_role),
    )


def _steps_slide(src: DeckSources) -> Slide:
    return Slide("ご案内の手順", src.copy.kit_steps, numbered=True)


def _links_slide(src: DeckSources) -> Slide:
    return Slide(
        "案内サイト",
        (
            f"訓練の内容とお申し込み:{src.site_url}drill/",
            f"セミナーの日程:{src.site_url}seminars/",
            f"商工会議所向けキット:{src.site_url}chambers/",
        ),
    )


GENERATORS: dict[str, Callable[[DeckSources], Slide]] = {
    "seminars": _seminars_slide,
    "schedule": _schedule_slide,
    "rules": _rules_slide,
    "chamber_role": _role_slide,
    "kit_steps": _steps_slide,
    "links": _links_slide,
}


def deck_slides(deck: DeckSpec, src: DeckSources) -> list[Slide]:
    slides: list[Slide] = []
    for raw in deck.slides:
        if "generate" in raw:
            slides.append(GENERATORS[str(raw["generate"])](src))
        else:
            slides.append(Slide(str(raw["title"]), tuple(join_lines(b) for b in raw["bullets"])))
    return slides


def text_em(text: str) -> float:
    """Estimated width of a text in em: CJK glyphs are 1 em wide, Latin ones about 0.6 em."""
    width = 0.0
    for char in text:
        if unicodedata.east_asian_width(char) in ("W", "F"):
            width += 1.0
        elif char == " ":
            width += 0.3
        else:
            width += 0.62
    return width


def body_height_pt(bullets: Sequence[str], size: float, width_pt: float) -> float:
    """Estimated height of the bullets at a font size, wrapped to the body width."""
    height = 0.0
    for bullet in bullets:
        lines = max(1, math.ceil((text_em(bullet) + 1.5) * size / width_pt))
        height += lines * size * 1.2 + SPACE_AFTER_PT
    return height


def body_box() -> tuple[int, int, int, int]:
    inch = 914400
    return int(inch * 0.7), int(inch * 1.55), SLIDE_W - int(inch * 1.4), SLIDE_H - int(inch * 2.3)


def body_size(bullets: Sequence[str]) -> float | None:
    """The largest body font size at which the bullets fit the slide, or None if none does."""
    _left, _top, width, height = body_box()
    # 0.1 in of inner margin on each side of a text box.
    width_pt, height_pt = width / EMU_PER_PT - 14.4, height / EMU_PER_PT - 7.2
    for size in BODY_SIZES:
        if body_height_pt(bullets, size, width_pt) <= height_pt:
            return size
    return None


# Drawing. Plain shapes on the blank layout, so the deck looks the same in PowerPoint, Keynote and
# LibreOffice and does not depend on the default template's placeholders.
def _style(run: Any, font: str, size: float, color: RGBColor, *, bold: bool = False) -> None:
    run.font.name = font
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.color.rgb = color
    # The East Asian font slot decides how Japanese renders; `font.name` only sets the Latin one.
    rpr = run._r.get_or_add_rPr()
    for tag in ("a:ea", "a:cs"):
        element = rpr.find(qn(tag))
        if element is None:
            element = rpr.makeelement(qn(tag), {})
            rpr.append(element)
        element.set("typeface", font)


def _box(slide: Any, left: int, top: int, width: int, height: int) -> Any:
    box = slide.shapes.add_textbox(Emu(left), Emu(top), Emu(width), Emu(height))
    frame = box.text_frame
    frame.word_wrap = True
    return frame


def _bar(slide: Any, left: int, top: int, width: int, height: int, color: RGBColor) -> None:
    shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Emu(left), Emu(top), Emu(width), Emu(height))
    shape.fill.solid()
    shape.fill.fore_color.rgb = color
    shape.line.fill.background()


def _title_slide(prs: Any, deck: DeckSpec, font: str, footer: str) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    _bar(slide, 0, 0, SLIDE_W, SLIDE_H, INDIGO)
    _bar(slide, 0, int(SLIDE_H * 0.62), SLIDE_W, Emu(60000), ACCENT)
    inch = 914400
    frame = _box(slide, inch, int(SLIDE_H * 0.25), SLIDE_W - 2 * inch, int(SLIDE_H * 0.35))
    frame.vertical_anchor = MSO_ANCHOR.BOTTOM
    run = frame.paragraphs[0].add_run()
    run.text = deck.subtitle
    _style(run, font, 40, WHITE, bold=True)
    para = frame.add_paragraph()
    run = para.add_run()
    run.text = deck.title
    _style(run, font, 22, WHITE)
    footer_frame = _box(slide, inch, int(SLIDE_H * 0.68), SLIDE_W - 2 * inch, inch)
    run = footer_frame.paragraphs[0].add_run()
    run.text = footer
    _style(run, font, 16, WHITE)


def _content_slide(prs: Any, slide_data: Slide, font: str, number: int) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    inch = 914400
    _bar(slide, 0, 0, SLIDE_W, int(inch * 1.15), INDIGO)
    _bar(slide, 0, int(inch * 1.15), SLIDE_W, Emu(50000), ACCENT)
    title = _box(slide, int(inch * 0.6), int(inch * 0.2), SLIDE_W - int(inch * 1.2), int(inch * 0.85))
    title.vertical_anchor = MSO_ANCHOR.MIDDLE
    run = title.paragraphs[0].add_run()
    run.text = slide_data.title
    _style(run, font, 30, WHITE, bold=True)
    body = _box(slide, *body_box())
    size = body_size(slide_data.bullets)
    if size is None:
        raise ValueError(f"slide {slide_data.title!r}: too much text for one slide; shorten or split it")
    for index, bullet in enumerate(slide_data.bullets):
        para = body.paragraphs[0] if index == 0 else body.add_paragraph()
        para.space_after = Pt(SPACE_AFTER_PT)
        marker = para.add_run()
        marker.text = f"{index + 1}. " if slide_data.numbered else "■ "
        _style(marker, font, size if slide_data.numbered else size * 0.7, ACCENT, bold=slide_data.numbered)
        run = para.add_run()
        run.text = bullet
        _style(run, font, size, INK)
    page = _box(
        slide, SLIDE_W - int(inch * 1.2), SLIDE_H - int(inch * 0.55), int(inch * 0.9), int(inch * 0.4)
    )
    run = page.paragraphs[0].add_run()
    run.text = str(number)
    _style(run, font, 12, INDIGO)


def build_deck(deck: DeckSpec, src: DeckSources, target: Path) -> list[Slide]:
    prs = Presentation()
    prs.slide_width = SLIDE_W
    prs.slide_height = SLIDE_H
    prs.core_properties.title = f"{deck.title} {deck.subtitle}"
    prs.core_properties.language = "ja-JP"
    slides = deck_slides(deck, src)
    _title_slide(prs, deck, src.copy.font, f"案内サイト {src.site_url}")
    for number, slide in enumerate(slides, start=2):
        _content_slide(prs, slide, src.copy.font, number)
    target.parent.mkdir(parents=True, exist_ok=True)
    prs.save(str(target))
    return slides


@post_build
def write_decks(config: Any) -> None:
    copy = content("slides", parse_kit_copy)
    site_url = site_root(str(config.get("site_url") or ""))
    src = DeckSources(
        copy=copy, sessions=content("seminars", parse_sessions), now=build_time(), site_url=site_url
    )
    out = Path(config["site_dir"]) / DECK_DIR
    for deck in copy.decks:
        build_deck(deck, src, out / deck.file)
