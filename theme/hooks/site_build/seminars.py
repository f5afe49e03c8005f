"""The seminars page: sessions from `content/seminars.yml`, videos behind a click-to-load facade.

`<!-- md:seminars kind=recorded|live|mini -->` renders one kind. Live sessions whose start has passed
at build time (`ctx.built_at`, pinned by `CAMPAIGN_NOW`) move to a list of past sessions marked 終了.
Videos are local posters linking to YouTube; `facade.js` swaps in a youtube-nocookie iframe only on
click, so loading the page contacts no third party.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from campaign_core.clock import JST, parse_instant
from campaign_core.jst import day_text
from campaign_core.settings import PROJECT_ROOT
from site_build import PageContext, content, shortcode, site_root

KINDS = ("recorded", "live", "mini")
STATUSES = ("open", "closed")
# The signup form page is another feature's; link to it only once it exists (strict builds fail on
# links to missing pages).
SIGNUP_PAGE = PROJECT_ROOT / "docs" / "apply" / "seminar.md"


@dataclass(frozen=True)
class Session:
    id: str
    kind: str
    title: str
    description: str
    audience: str
    duration_min: int
    status: str
    starts_at: datetime | None = None
    capacity: int | None = None
    zoom_url: str | None = None
    youtube_live_url: str | None = None
    youtube_id: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def watch_url(self) -> str:
        return f"https://www.youtube.com/watch?v={self.youtube_id}"

    @property
    def embed_url(self) -> str:
        return f"https://www.youtube-nocookie.com/embed/{self.youtube_id}?autoplay=1"

    def is_past(self, now: datetime) -> bool:
        return self.starts_at is not None and self.starts_at <= now

    def is_open(self, now: datetime) -> bool:
        return self.status == "open" and not self.is_past(now)


def join_lines(text: object) -> str:
    """YAML block text as one paragraph: Japanese needs no space where the source line broke."""
    return "".join(line.strip() for line in str(text).splitlines())


def _session(raw: dict[str, Any]) -> Session:
    kind = str(raw["kind"])
    if kind not in KINDS:
        raise ValueError(f"seminar {raw.get('id')!r}: unknown kind {kind!r}")
    status = str(raw.get("status", "open"))
    if status not in STATUSES:
        raise ValueError(f"seminar {raw.get('id')!r}: unknown status {status!r}")
    starts_at = parse_instant(str(raw["starts_at"])) if raw.get("starts_at") else None
    session = Session(
        id=str(raw["id"]),
        kind=kind,
        title=str(raw["title"]),
        description=join_lines(raw["description"]),
        audience=str(raw["audience"]),
        duration_min=int(raw["duration_min"]),
        status=status,
        starts_at=starts_at,
        capacity=int(raw["capacity"]) if raw.get("capacity") is not None else None,
        zoom_url=raw.get("zoom_url"),
        youtube_live_url=raw.get("youtube_live_url"),
        youtube_id=raw.get("youtube_id"),
        notes=tuple(str(note) for note in raw.get("notes", ())),
    )
    if kind == "live" and (session.starts_at is None or session.capacity is None):
        raise ValueError(f"seminar {session.id!r}: a live session needs starts_at and capacity")
    if kind != "live" and not session.youtube_id:
        raise ValueError(f"seminar {session.id!r}: a {kind} session needs youtube_id")
    return session


def parse_sessions(data: Any) -> tuple[Session, ...]:
    sessions = tuple(_session(raw) for raw in data["sessions"])
    ids = [session.id for session in sessions]
    if len(ids) != len(set(ids)):
        raise ValueError("content/seminars.yml: session ids must be unique")
    return sessions


def split_live(sessions: Sequence[Session], now: datetime) -> tuple[list[Session], list[Session]]:
    """Live sessions ahead (soonest first) and past (latest first) at `now`."""
    live = [session for session in sessions if session.kind == "live"]
    upcoming = sorted((s for s in live if not s.is_past(now)), key=lambda s: s.starts_at or now)
    past = sorted((s for s in live if s.is_past(now)), key=lambda s: s.starts_at or now, reverse=True)
    return upcoming, past


def jst_date(moment: datetime) -> str:
    return day_text(moment)


def jst_time_range(moment: datetime, minutes: int) -> str:
    local = moment.astimezone(JST)
    end = local + timedelta(minutes=minutes)
    return f"{local:%H:%M}〜{end:%H:%M}"


@shortcode("seminars")
def render_seminars(ctx: PageContext, args: dict[str, str]) -> str:
    kind = args.get("kind", "")
    if kind not in KINDS:
        raise ValueError(f"md:seminars needs kind= one of {KINDS}, got {kind!r}")
    sessions = content("seminars", parse_sessions)
    now = ctx.built_at
    signup_url = ctx.url("apply/seminar/") if SIGNUP_PAGE.exists() else None
    if kind == "live":
        upcoming, past = split_live(sessions, now)
        return ctx.render(
            "seminars_live.html",
            upcoming=upcoming,
            past=past,
            now=now,
            signup_url=signup_url,
            jst_date=jst_date,
            jst_time_range=jst_time_range,
        )
    videos = [session for session in sessions if session.kind == kind]
    return ctx.render("seminars_videos.html", videos=videos, kind=kind, signup_url=signup_url, now=now)


@shortcode("seminar-link")
def render_seminar_link(ctx: PageContext, args: dict[str, str]) -> str:
    """The recorded seminar's address on this site, as plain text: it goes into mail texts to copy
    (the pre-drill notice), where a relative link would mean nothing."""
    return f"{site_root(ctx.site_url)}seminars/#recorded"
