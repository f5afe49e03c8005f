"""Tracking events of drill mails (open pixel, click) and the human counts drawn from them.

Every hit with a valid token is kept, machine or not, with what tells them apart: the user agent,
the method, prefetch headers, the client address and the time. Whether a hit was a machine (a mail
scanner, a link previewer, a proxy) is decided when counting, over all hits together, because some
signs only show in hindsight (one address that went on to click for several recipients, every link
of a mail clicked in the same second). Machine hits stay stored and are listed, but never counted.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from campaign_core.clock import iso, parse_iso
from campaign_core.deps import Deps
from campaign_core.machine import Classified, MachineRules, classify
from campaign_core.records import EVENT, MESSAGE, event_prefix
from campaign_core.store import Record
from campaign_core.tokens import TokenError
from drill_sender.templates import TRACK_PURPOSE, load_template

PREFETCH_HEADERS = ("Purpose", "Sec-Purpose", "X-Purpose", "X-Moz")
REPLAY_WINDOW = timedelta(seconds=10)


@dataclass(frozen=True)
class Hit:
    """One request to a tracking URL, as the view saw it."""

    kind: Literal["open", "click"]
    token: str
    link: str | None
    method: str
    user_agent: str
    client: str
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HitResult:
    status: Literal["recorded", "repeat", "invalid", "expired"]
    message: str | None = None  # the message whose learning page a click lands on


def _prefetch(hit: Hit) -> bool:
    if hit.method.upper() == "HEAD":
        return True
    return any(
        "prefetch" in hit.headers.get(name, "").lower() or "preview" in hit.headers.get(name, "").lower()
        for name in PREFETCH_HEADERS
    )


def record_hit(deps: Deps, hit: Hit) -> HitResult:
    """Check the token and keep the hit. A forged or foreign token, a token for a mail that was never
    sent, or an expired one records nothing; the same hit again within seconds is not a new event."""
    try:
        payload = deps.signer.unsign(TRACK_PURPOSE, hit.token, max_age=deps.tracking_max_age)
    except TokenError as exc:
        return HitResult("expired" if exc.reason == "expired" else "invalid")
    key = payload.get("m") if isinstance(payload, dict) else None
    message = deps.store.get(MESSAGE, key) if isinstance(key, str) else None
    if message is None or message.data.get("state") != "sent":
        return HitResult("invalid")
    data = message.data
    landing = message.key
    now = deps.now()
    link = hit.link if hit.kind == "click" else None
    event = {
        "message": message.key,
        "application_id": data.get("application_id", ""),
        "purpose": data.get("purpose", "drill"),
        "type": hit.kind,
        "link": link,
        "at": iso(now),
        "user_agent": hit.user_agent[:400],
        "client": hit.client[:64],
        "method": hit.method.upper()[:8],
        "prefetch": _prefetch(hit),
    }
    # Event keys start with their message's key: a consistent range read of this message only.
    for earlier in deps.store.with_prefix(EVENT, event_prefix(message.key)):
        if earlier.data.get("type") != hit.kind:
            continue
        same = all(earlier.data.get(f) == event[f] for f in ("link", "user_agent", "client", "method"))
        if same and now - parse_iso(str(earlier.data["at"])) < REPLAY_WINDOW:
            return HitResult("repeat", landing)
    event_key = f"{event_prefix(message.key)}{now.strftime('%Y%m%dT%H%M%S%f')}.{secrets.token_hex(3)}"
    deps.store.put_new(EVENT, event_key, event)
    return HitResult("recorded", landing)


@dataclass(frozen=True)
class MessageActivity:
    key: str
    email: str
    sent_at: datetime | None
    first_open: datetime | None  # by a person; a click counts as an open
    first_click: datetime | None
    machine_hits: int


@dataclass(frozen=True)
class Counts:
    sent: int
    opened: int
    clicked: int
    machine_hits: int
    messages: tuple[MessageActivity, ...]

    def as_dict(self) -> dict[str, int]:
        return {
            "sent": self.sent,
            "opened": self.opened,
            "clicked": self.clicked,
            "machine_hits": self.machine_hits,
        }


def _message_view(record: Record, links: Iterable[str]) -> dict[str, Any]:
    return {**record.data, "links": list(links)}


def activity(deps: Deps, application_id: str) -> Counts:
    """Human opens and clicks of one drill (or, with the one-shot message key, of one sample)."""
    records = deps.store.by_application(MESSAGE, application_id) if application_id else []
    messages = {
        r.key: _message_view(r, load_template(int(r.data["month"]), str(r.data["variant"])).links)
        for r in records
    }
    events = deps.store.by_application(EVENT, application_id) if application_id else []
    return summarise(records, messages, events, MachineRules.from_settings(deps.settings.machine))


def message_activity(deps: Deps, message_key: str) -> Counts:
    """The same for one message (a one-shot sample mail)."""
    record = deps.store.get(MESSAGE, message_key)
    if record is None:
        return Counts(0, 0, 0, 0, ())
    links = load_template(int(record.data["month"]), str(record.data["variant"])).links
    events = deps.store.with_prefix(EVENT, event_prefix(message_key))
    rules = MachineRules.from_settings(deps.settings.machine)
    return summarise([record], {record.key: _message_view(record, links)}, events, rules)


def summarise(
    records: Sequence[Record],
    messages: Mapping[str, Mapping[str, Any]],
    events: Sequence[Record],
    rules: MachineRules,
) -> Counts:
    classified = classify(events, messages, rules)
    per: dict[str, list[Classified]] = defaultdict(list)
    for c in classified:
        per[str(c.data["message"])].append(c)
    rows = []
    for r in records:
        human = [c for c in per.get(r.key, []) if not c.machine]
        opens = [c.at for c in human]  # a click is an open too
        clicks = [c.at for c in human if c.data.get("type") == "click"]
        sent_at = r.data.get("sent_at")
        rows.append(
            MessageActivity(
                key=r.key,
                email=str(r.data.get("email", "")),
                sent_at=parse_iso(str(sent_at)) if sent_at else None,
                first_open=min(opens) if opens else None,
                first_click=min(clicks) if clicks else None,
                machine_hits=sum(1 for c in per.get(r.key, []) if c.machine),
            )
        )
    return Counts(
        sent=sum(1 for row in rows if row.sent_at is not None),
        opened=sum(1 for row in rows if row.first_open is not None),
        clicked=sum(1 for row in rows if row.first_click is not None),
        machine_hits=sum(row.machine_hits for row in rows),
        messages=tuple(rows),
    )
