"""One source of truth for the forms' markup: the same Jinja templates render the empty form into
the built site (through the MkDocs shortcode in `theme/hooks/site_build/forms.py`) and the filled form,
with messages, when the forms app answers an error.

The app has no layout of its own: it takes the *built* page of the form (`site/apply/drill/index.html`)
and puts the filled form in place of the empty one, between the marker comments, so an error page
has the site's header, navigation and styles. Result pages replace the page's article the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2

from campaign_core import content, content_cache
from campaign_core.choices import EMPLOYEES, INDUSTRIES, MEMBER, PREFECTURE_CHOICES, VARIANT_CHOICES
from campaign_core.clock import parse_instant
from campaign_core.content import Consent
from campaign_core.jst import jst_label
from campaign_core.pages import snippet_environment

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
FORMS = ("seminar", "drill", "oneshot")
FORM_START = "<!-- cf-form:start -->"
FORM_END = "<!-- cf-form:end -->"
_KIND_LABELS = {"recorded": "録画", "live": "ライブ", "mini": "ミニセミナー"}


def environment() -> jinja2.Environment:
    return snippet_environment(TEMPLATES_DIR)


def load_consent(content_dir: Path) -> Consent:
    """The consent text shown next to the checkbox and its version, stored with each application."""
    return content.consent(content_dir)


@dataclass(frozen=True)
class Session:
    id: str
    kind: str
    title: str
    status: str
    duration_min: int
    starts_at: datetime | None
    capacity: int
    zoom_url: str
    youtube_live_url: str
    youtube_id: str
    notes: tuple[str, ...]

    @classmethod
    def from_content(cls, raw: Mapping[str, Any]) -> Session:
        starts = raw.get("starts_at")
        return cls(
            id=str(raw["id"]),
            kind=str(raw.get("kind", "recorded")),
            title=str(raw.get("title", "")),
            status=str(raw.get("status", "closed")),
            duration_min=int(raw.get("duration_min", 0) or 0),
            starts_at=parse_instant(str(starts)) if starts else None,
            capacity=int(raw.get("capacity", 0) or 0),
            zoom_url=str(raw.get("zoom_url", "") or ""),
            youtube_live_url=str(raw.get("youtube_live_url", "") or ""),
            youtube_id=str(raw.get("youtube_id", "") or ""),
            notes=tuple(str(note) for note in raw.get("notes", []) or []),
        )

    @property
    def is_live(self) -> bool:
        return self.kind == "live"

    @property
    def watch_url(self) -> str:
        return f"https://www.youtube.com/watch?v={self.youtube_id}" if self.youtube_id else ""

    def is_open(self, now: datetime) -> bool:
        if self.status != "open":
            return False
        return not (self.is_live and (self.starts_at is None or self.starts_at <= now))

    @property
    def label(self) -> str:
        kind = _KIND_LABELS.get(self.kind, self.kind)
        if self.is_live and self.starts_at is not None:
            return f"【{kind}】{jst_label(self.starts_at)}〜 {self.title}(約{self.duration_min}分)"
        return f"【{kind}】{self.title}(約{self.duration_min}分・いつでも視聴できます)"


def parse_sessions(data: Any) -> tuple[Session, ...]:
    return tuple(Session.from_content(raw) for raw in (data or {}).get("sessions", []))


def load_sessions(content_dir: Path) -> tuple[Session, ...]:
    return content_cache.load(content_dir, "seminars", parse_sessions)


def load_chambers(content_dir: Path) -> list[dict[str, str]]:
    """The chambers as the form's list and the validation read them (code, name, prefecture)."""
    return [
        {"code": chamber.code, "name": chamber.name, "prefecture": chamber.prefecture}
        for chamber in content.chambers(content_dir)
    ]


def content_yaml(content_dir: Path, name: str) -> Any:
    """`content/<name>.yml` as plain data, each caller's own copy (`campaign_core.content`)."""
    return content_cache.load_yaml(content_dir, name)


@dataclass(frozen=True)
class FormContent:
    """What the form templates list: choices, chambers, open sessions, the consent text."""

    chambers: Sequence[Mapping[str, str]]
    sessions: Sequence[tuple[str, str]]
    consent: Consent
    prefectures: Sequence[tuple[str, str]] = PREFECTURE_CHOICES
    industries: Sequence[tuple[str, str]] = INDUSTRIES
    employees: Sequence[tuple[str, str]] = EMPLOYEES
    member: Sequence[tuple[str, str]] = MEMBER
    variants: Sequence[tuple[str, str]] = VARIANT_CHOICES
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def consent_paragraphs(self) -> tuple[str, ...]:
        return self.consent.paragraphs


def load_form_content(content_dir: Path, now: datetime) -> FormContent:
    sessions = [(s.id, s.label) for s in load_sessions(content_dir) if s.is_open(now)]
    return FormContent(
        chambers=load_chambers(content_dir), sessions=sessions, consent=load_consent(content_dir)
    )


def render_form(
    name: str,
    content: FormContent,
    *,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    maintenance: str | None = None,
) -> str:
    if name not in FORMS:
        raise ValueError(f"unknown form {name!r}")
    template = environment().get_template(f"forms/{name}.html")
    return template.render(
        content=content, values=dict(values or {}), errors=dict(errors or {}), maintenance=maintenance
    )


def render_snippet(template: str, **values: Any) -> str:
    return environment().get_template(template).render(**values)


def replace_form(page_html: str, form_html: str) -> str:
    start, end = page_html.find(FORM_START), page_html.find(FORM_END)
    if start < 0 or end < start:
        raise ValueError("the built page holds no form markers")
    return page_html[:start] + form_html + page_html[end + len(FORM_END) :]
