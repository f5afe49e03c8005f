"""Seminar signups: recorded sessions get the viewing URL; live sessions take a Zoom seat atomically
up to the capacity, and past it the reply gives the YouTube Live URL and says why. Live replies
carry an .ics invitation. Signing up twice for one session takes no second seat: the reply is sent
again with what the first signup got.

A Zoom seat is held only for an address that confirmed: a live signup is pending (and expires
after the confirm window) until its address opens the mailed link and presses the button; only
then is a seat taken, so fake signups with made-up or strangers' addresses fill no seats."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, timedelta
from typing import Any, Literal

from campaign_core.choices import MEMBER, label
from campaign_core.clock import iso
from campaign_core.deps import Deps
from campaign_core.form_records import SeminarSignup
from campaign_core.jst import jst_label
from campaign_core.normalize import unlinked
from campaign_core.records import SEATS, SIGNUP
from form_lambda.rendering import Session, content_yaml, load_sessions
from form_lambda.services.common import MAIL_TEMPLATES, email_key, take_mail_quota
from form_lambda.services.links import ConfirmLink, ask_to_confirm, confirm_once, link_key
from form_lambda.validation import Chamber, SeminarInput

Channel = Literal["recorded", "zoom", "youtube"]


CONFIRM_PURPOSE = "seminar-confirm"
CONFIRM_LINK = ConfirmLink(SIGNUP, CONFIRM_PURPOSE, "k", "seminar_confirm", "/api/seminar/confirm")


@dataclass(frozen=True)
class SignupResult:
    status: Literal["signed_up", "pending", "unavailable", "mail_limit", "already", "expired", "invalid"]
    session: Session | None = None
    channel: Channel | None = None
    repeated: bool = False
    email: str = ""


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
    record = SeminarSignup(
        key=key,
        session_id=session.id,
        company=data.company,
        name=data.name,
        email=data.email,
        phone=data.phone,
        prefecture=data.prefecture,
        chamber=data.chamber.as_dict(),
        member=data.member,
        consent={"version": consent_version, "at": iso(now)},
        signed_up_at=now,
        channel="recorded" if not session.is_live else None,
        # The reply carries the membership offer (content/membership.yml): HQ's leads show it was made.
        membership_offered_at=now if data.member != "member" else None,
    )
    if session.is_live:
        return _sign_up_live(deps, data, session, replace(record, status="pending"))
    repeated = not deps.store.put_new(SIGNUP, key, record.to_item())
    _send_reply(deps, data, session, "recorded")
    return SignupResult("signed_up", session, "recorded", repeated)


def _sign_up_live(deps: Deps, data: SeminarInput, session: Session, pending: SeminarSignup) -> SignupResult:
    """Store the pending signup and mail its link; a confirmed one gets its reply again."""
    shown = {
        "signup": _shown(data),
        "session": session,
        "starts_label": jst_label(session.starts_at) if session.starts_at else "",
    }
    created, existing = ask_to_confirm(
        deps, CONFIRM_LINK, pending.key, pending.to_item(), to=data.email, values=shown
    )
    if existing is not None:
        channel: Channel = _live_channel(SeminarSignup.from_record(existing).channel) or "youtube"
        _send_reply(deps, data, session, channel)
        return SignupResult("signed_up", session, channel, repeated=True)
    return SignupResult("pending", session, repeated=not created)


def _live_channel(channel: str | None) -> Channel | None:
    """The channel a confirmed live signup got (None: not confirmed yet, or not live)."""
    return "zoom" if channel == "zoom" else "youtube" if channel == "youtube" else None


def check_token(deps: Deps, token: str) -> SignupResult | str:
    """The signup key behind a confirmation token, or the reason it cannot be used."""
    return link_key(deps, CONFIRM_LINK, token, SignupResult)


def confirm(deps: Deps, token: str) -> SignupResult:
    """The address confirmed a live signup: take a seat (atomically, up to the capacity) and reply."""
    checked = check_token(deps, token)
    if isinstance(checked, SignupResult):
        return checked
    stored = deps.store.get(SIGNUP, checked)
    if stored is None:
        return SignupResult("expired")
    record = SeminarSignup.from_record(stored)
    session = find_session(deps, record.session_id)
    if record.status != "pending":
        return SignupResult("already", session, _live_channel(record.channel), email=record.email)
    if session is None or not session.is_open(deps.now()):
        return SignupResult("unavailable", session)
    changes = SeminarSignup.changes(status="confirmed", confirmed_at=deps.now())
    if not confirm_once(deps.store, SIGNUP, stored, changes):  # one confirmation per signup
        return SignupResult("already", session)
    seat = deps.store.increment(SEATS, session.id, "taken", limit=session.capacity)
    channel: Channel = "zoom" if seat is not None else "youtube"
    deps.store.update(SIGNUP, record.key, SeminarSignup.changes(channel=channel, seat=seat))
    signup = _input_of(record)
    _send_reply(deps, signup, session, channel)
    return SignupResult("signed_up", session, channel, email=signup.email)


def _input_of(signup: SeminarSignup) -> SeminarInput:
    chamber = signup.chamber
    return SeminarInput(
        session_id=signup.session_id,
        company=signup.company,
        name=signup.name,
        email=signup.email,
        phone=signup.phone,
        prefecture=signup.prefecture,
        chamber=Chamber(code=str(chamber.get("code", "")), name=str(chamber.get("name", ""))),
        member=signup.member,
    )


def _shown(data: SeminarInput) -> SeminarInput:
    """The signup as mails show it: the reply goes to whatever address was typed, so the typed
    name and company cannot become links."""
    return replace(data, name=unlinked(data.name), company=unlinked(data.company))


def live_notes(deps: Deps) -> dict[str, list[str]]:
    """`live_notes` of content/seminars.yml: what a live seminar's attendees are asked (Zoom's name
    display and camera, the recording policy), by channel ("zoom", "all")."""
    raw = content_yaml(deps.settings.content_dir, "seminars").get("live_notes") or {}
    return {channel: [str(note) for note in raw.get(channel) or []] for channel in ("zoom", "all")}


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
            "signup": _shown(data),
            "member": data.member,
            "member_label": label(MEMBER, data.member),
            "session": session,
            "channel": channel,
            "url": url,
            "starts_label": jst_label(session.starts_at) if session.starts_at else "",
            "live_notes": live_notes(deps) if session.is_live else {},
        },
        attachments=attachments,
    )
