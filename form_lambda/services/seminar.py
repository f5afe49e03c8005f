"""Seminar signups: recorded sessions get the viewing URL; live sessions take a Zoom seat atomically
up to the capacity, and past it the reply gives the YouTube Live URL and says why. Live replies
carry an .ics invitation. Signing up twice for one session takes no second seat: the reply is sent
again with what the first signup got."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, timedelta
from typing import Any, Literal

from campaign_core.choices import MEMBER, label
from campaign_core.clock import iso
from campaign_core.deps import Deps
from campaign_core.jst import jst_label
from campaign_core.normalize import unlinked
from campaign_core.records import SEATS, SIGNUP
from form_lambda.rendering import Session, load_sessions
from form_lambda.services.common import MAIL_TEMPLATES, email_key, take_mail_quota
from form_lambda.validation import SeminarInput

Channel = Literal["recorded", "zoom", "youtube"]


@dataclass(frozen=True)
class SignupResult:
    status: Literal["signed_up", "unavailable", "mail_limit"]
    session: Session | None = None
    channel: Channel | None = None
    repeated: bool = False


def find_session(deps: Deps, session_id: str) -> Session | None:
    for session in load_sessions(deps.settings.content_dir):
        if session.id == session_id:
            return session
    return None


def invitation(session: Session, *, url: str, uid: str, now_stamp: Any) -> bytes:
    """An .ics with one event: the start in JST, the join URL as location and in the description."""
    if session.starts_at is None:
        raise ValueError(f"live session {session.id} has no start time")
    from icalendar import Calendar, Event  # only live sessions need it: not at the app's start

    calendar = Calendar()
    calendar.add("prodid", "-//security-drill-campaign//seminar//JA")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now_stamp)
    # UTC ("Z") times: a fixed +09:00 offset without a VTIMEZONE would be read as floating time.
    starts = session.starts_at.astimezone(UTC)
    event.add("dtstart", starts)
    event.add("dtend", starts + timedelta(minutes=session.duration_min or 60))
    event.add("summary", session.title)
    event.add("location", url)
    event.add("url", url)
    event.add("description", f"参加用URL: {url}")
    calendar.add_component(event)
    ics: bytes = calendar.to_ical()
    return ics


def sign_up(deps: Deps, data: SeminarInput, *, consent_version: str) -> SignupResult:
    session = find_session(deps, data.session_id)
    now = deps.now()
    if session is None or not session.is_open(now):
        return SignupResult("unavailable", session)

    if not take_mail_quota(deps, data.email):
        return SignupResult("mail_limit", session)
    key = f"{session.id}:{email_key(data.email)}"
    record = {
        "session_id": session.id,
        "company": data.company,
        "name": data.name,
        "email": data.email,
        "phone": data.phone,
        "prefecture": data.prefecture,
        "chamber": data.chamber.as_dict(),
        "member": data.member,
        "consent": {"version": consent_version, "at": iso(now)},
        "signed_up_at": iso(now),
        "channel": "recorded" if not session.is_live else None,
    }
    repeated = not deps.store.put_new(SIGNUP, key, record)
    channel: Channel
    if repeated:
        existing = deps.store.get(SIGNUP, key)
        stored = existing.data.get("channel") if existing is not None else None
        if stored in ("recorded", "zoom", "youtube"):
            channel = stored
        else:  # the first signup is still taking its seat: this reply goes without one
            channel = "recorded" if not session.is_live else "youtube"
    elif session.is_live:
        seat = deps.store.increment(SEATS, session.id, "taken", limit=session.capacity)
        channel = "zoom" if seat is not None else "youtube"
        deps.store.update(SIGNUP, key, {"channel": channel, "seat": seat})
    else:
        channel = "recorded"

    _send_reply(deps, data, session, channel)
    return SignupResult("signed_up", session, channel, repeated)


def _send_reply(deps: Deps, data: SeminarInput, session: Session, channel: str) -> None:
    attachments: list[tuple[str, bytes, str]] = []
    url = session.watch_url
    if session.is_live:
        url = session.zoom_url if channel == "zoom" else session.youtube_live_url
        ics = invitation(
            session,
            url=url,
            uid=f"{session.id}-{email_key(data.email)}@security-drill-campaign",
            now_stamp=deps.now(),
        )
        attachments.append(("seminar.ics", ics, "text/calendar; method=PUBLISH"))
    deps.send_mail(
        MAIL_TEMPLATES,
        "seminar_reply",
        to=data.email,
        values={
            # The reply goes to whatever address was typed: the typed name and company, unclickable.
            "signup": replace(data, name=unlinked(data.name), company=unlinked(data.company)),
            "member_label": label(MEMBER, data.member),
            "session": session,
            "channel": channel,
            "url": url,
            "starts_label": jst_label(session.starts_at) if session.starts_at else "",
        },
        attachments=attachments,
    )
