"""Drill mail templates: load one month's variant from `content/drill_mails/` and render it for
one recipient with tracking links.

Layout: `content/drill_mails/<MM>/<variant>/{meta.yml,body.txt,body.html}` plus `_layout.html`
(the HTML document around every body). Bodies are Jinja; they may use `recipient_email`,
`company`, `link(name)` (a click-tracking URL; the name must be listed in `meta.yml`) and, in
HTML only, `open_pixel` (the tracking `<img>`). No template holds a literal URL: every link goes
to our own `/t/...` paths, and the click lands on the learning page of that very mail
(`drill_sender.services.learn`), which no public page shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from campaign_core.content_cache import load
from campaign_core.settings import PROJECT_ROOT
from campaign_core.tokens import Signer

MAILS_DIR = PROJECT_ROOT / "content" / "drill_mails"
VARIANTS = ("obvious", "subtle")
MONTHS = tuple(range(1, 13))
TRACK_PURPOSE = "track"

_LINK_NAME = re.compile(r"[a-z0-9_-]{1,32}")
_INERT_PREFIX = "#drill-link-"
_INERT_SPAN = (
    r'<span class="drill-mail__link" data-link="\1"'
    r' style="color:#0b57d0;text-decoration:underline;">\2</span>'
)
_INERT_ANCHOR = re.compile(r'<a href="' + _INERT_PREFIX + r'([a-z0-9_-]+)"[^>]*>(.*?)</a>', re.DOTALL)


class TemplateError(ValueError):
    """A drill mail template is missing, malformed, or uses a link it does not declare."""


@dataclass(frozen=True)
class Clue:
    """One thing a participant could have noticed (手がかり), shown on the learning page."""

    where: str  # e.g. 差出人, 件名, 添付ファイル
    text: str


@dataclass(frozen=True)
class DrillTemplate:
    month: int
    variant: str
    season: str
    topic: str
    sender_name: str
    sender_local_part: str
    subject: str
    attachment: str | None  # only mentioned in the body, never attached
    links: tuple[str, ...]
    clues: tuple[Clue, ...]
    directory: Path

    @property
    def key(self) -> str:
        """`01-obvious`: the template's id in URLs and reports."""
        return template_key(self.month, self.variant)


@dataclass(frozen=True)
class RenderedMail:
    template: DrillTemplate
    subject: str
    sender_name: str
    sender_local_part: str
    text: str
    html: str
    click_urls: tuple[str, ...]  # in order of first appearance
    pixel_url: str

    @property
    def tracking_urls(self) -> tuple[str, ...]:
        return (*self.click_urls, self.pixel_url)

    def sender_address(self, domain: str) -> str:
        """The From address on the drill's own sending domain."""
        return f"{self.sender_local_part}@{domain}"


def template_key(month: int, variant: str) -> str:
    return f"{month:02d}-{variant}"


def tracking_token(signer: Signer, message_id: str) -> str:
    """The per-recipient token of all tracking URLs in one message; the payload stays tiny because
    it travels in every URL of the mail."""
    return signer.sign(TRACK_PURPOSE, {"m": message_id})


def click_url(base_url: str, token: str, link_name: str) -> str:
    if not _LINK_NAME.fullmatch(link_name):
        raise TemplateError(f"bad link name {link_name!r}")
    return f"{base_url.rstrip('/')}/t/c/{token}?l={link_name}"


def open_pixel_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/t/o/{token}.gif"


def load_template(month: int, variant: str, mails_dir: Path | None = None) -> DrillTemplate:
    _check_month_variant(month, variant)
    root = mails_dir or MAILS_DIR
    directory = root / f"{month:02d}" / variant
    try:
        # The sender loads the template once per message: the loader parses meta.yml once per
        # version of the file.
        return load(directory, "meta", _from_meta, month, variant, directory)
    except FileNotFoundError as exc:
        raise TemplateError(f"no drill mail template {template_key(month, variant)} in {root}") from exc


def load_all(mails_dir: Path | None = None) -> list[DrillTemplate]:
    """Every month's every variant, in month order; a missing one raises."""
    return [load_template(month, variant, mails_dir) for month in MONTHS for variant in VARIANTS]


def render(
    template: DrillTemplate,
    *,
    base_url: str,
    token: str,
    recipient_email: str,
    company: str,
) -> RenderedMail:
    """The drill mail for one recipient: subject, plain text, HTML and its tracking URLs."""
    used: list[str] = []

    def link(name: str) -> str:
        if name not in template.links:
            raise TemplateError(f"{template.key}: link {name!r} is not declared in meta.yml")
        if name not in used:
            used.append(name)
        return click_url(base_url, token, name)

    pixel = open_pixel_url(base_url, token)
    values: dict[str, Any] = {"recipient_email": recipient_email, "company": company, "link": link}
    text = _render(template, "body.txt", autoescape=False, values=values)
    body = _render(
        template,
        "body.html",
        autoescape=True,
        values={**values, "open_pixel": _pixel_tag(pixel)},
    )
    document = (
        _environment(template.directory.parent.parent, autoescape=True)
        .get_template("_layout.html")
        .render(subject=template.subject, body=Markup(body))  # noqa: S704 - body rendered with autoescape on
    )
    return RenderedMail(
        template=template,
        subject=template.subject,
        sender_name=template.sender_name,
        sender_local_part=template.sender_local_part,
        text=text,
        html=document,
        click_urls=tuple(click_url(base_url, token, name) for name in used),
        pixel_url=pixel,
    )


def preview_html(template: DrillTemplate, *, recipient_email: str, company: str) -> str:
    """The HTML body for the learning page: the recipient's values, no pixel, and links made inert
    (`<span class="drill-mail__link">`), so the page shows the mail without any way out of it."""

    def link(name: str) -> str:
        if name not in template.links:
            raise TemplateError(f"{template.key}: link {name!r} is not declared in meta.yml")
        return _INERT_PREFIX + name

    body = _render(
        template,
        "body.html",
        autoescape=True,
        values={"recipient_email": recipient_email, "company": company, "link": link, "open_pixel": ""},
    )
    return _INERT_ANCHOR.sub(_INERT_SPAN, body).strip()


def _pixel_tag(url: str) -> Markup:
    return Markup(
        '<img src="{}" width="1" height="1" alt="" style="display:block;border:0;width:1px;height:1px;">'
    ).format(url)


def _render(template: DrillTemplate, name: str, *, autoescape: bool, values: dict[str, Any]) -> str:
    root = template.directory.parent.parent
    relative = f"{template.directory.parent.name}/{template.variant}/{name}"
    try:
        return _environment(root, autoescape=autoescape).get_template(relative).render(**values)
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"{template.key}: {name} is missing") from exc
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"{template.key}/{name}: {exc.message}") from exc


@cache
def _environment(root: Path, *, autoescape: bool) -> jinja2.Environment:
    # Text bodies must not be HTML-escaped ("&" in a company name stays "&"); HTML bodies must be.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root)),
        autoescape=autoescape,  # noqa: S701 - off only for the plain-text part, which no browser renders
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def _check_month_variant(month: int, variant: str) -> None:
    if month not in MONTHS:
        raise TemplateError(f"month must be 1..12, not {month!r}")
    if variant not in VARIANTS:
        raise TemplateError(f"variant must be one of {', '.join(VARIANTS)}, not {variant!r}")


def _from_meta(meta: Any, month: int, variant: str, directory: Path) -> DrillTemplate:
    where = template_key(month, variant)
    if not isinstance(meta, dict):
        raise TemplateError(f"{where}: meta.yml must be a mapping")
    if meta.get("month") != month or meta.get("variant") != variant:
        raise TemplateError(f"{where}: meta.yml names another month or variant")
    sender = meta.get("sender")
    if not isinstance(sender, dict):
        raise TemplateError(f"{where}: sender must hold name and local_part")
    links = meta.get("links")
    if not isinstance(links, list) or not links or not all(_LINK_NAME.fullmatch(str(n)) for n in links):
        raise TemplateError(f"{where}: links must list at least one name like 'invoice'")
    clues = meta.get("clues")
    if not isinstance(clues, list) or not clues:
        raise TemplateError(f"{where}: clues must list what a participant could have noticed")
    attachment = meta.get("attachment")
    return DrillTemplate(
        month=month,
        variant=variant,
        season=_text(meta, "season", where),
        topic=_text(meta, "topic", where),
        sender_name=_text(sender, "name", where),
        sender_local_part=_text(sender, "local_part", where),
        subject=_text(meta, "subject", where),
        attachment=str(attachment) if attachment else None,
        links=tuple(str(name) for name in links),
        clues=tuple(Clue(where=_text(c, "where", where), text=_text(c, "text", where)) for c in clues),
        directory=directory,
    )


def _text(mapping: Any, key: str, where: str) -> str:
    value = mapping.get(key) if isinstance(mapping, dict) else None
    if not isinstance(value, str) or not value.strip():
        raise TemplateError(f"{where}: {key} must be a non-empty text")
    return value.strip()
