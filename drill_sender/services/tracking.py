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
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from campaign_core.deps import Deps
from campaign_core.drill_records import DrillEvent, DrillMessage
from campaign_core.machine import Classified, MachineRules, classify
from campaign_core.records import EVENT, MESSAGE, event_prefix
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
    record = deps.store.get(MESSAGE, key) if isinstance(key, str) else None
    message = DrillMessage.from_record(record) if record is not None else None
    if message is None or message.state != "sent":
        return HitResult("invalid")
    landing = message.key
    now = deps.now()
    event = DrillEvent(
        key=f"{event_prefix(message.key)}{now.strftime('%Y%m%dT%H%M%S%f')}.{secrets.token_hex(3)}",
        message=message.key,
        application_id=message.application_id,
        purpose=message.purpose or "drill",
        type=hit.kind,
        link=hit.link if hit.kind == "click" else None,
        at=now,
        user_agent=hit.user_agent[:400],
        client=hit.client[:64],
        method=hit.method.upper()[:8],
        prefetch=_prefetch(hit),
    )
    # Event keys start with their message's key: a consistent range read of this message only.
    for earlier in map(DrillEvent.from_record, deps.store.with_prefix(EVENT, event_prefix(message.key))):
        if earlier.type != hit.kind or earlier.at is None:
            continue
        same = (earlier.link, earlier.user_agent, earlier.client, earlier.method) == (
            event.link,
            event.user_agent,
            event.client,
            event.method,
        )
        if same and now - earlier.at < REPLAY_WINDOW:
            return HitResult("repeat", landing)
    deps.store.put_new(EVENT, event.key, event.to_item())
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


def activity(deps: Deps, application_id: str) -> Counts:
    """Human opens and clicks of one drill (or, with the one-shot message key, of one sample)."""
    stored = deps.store.by_application(MESSAGE, application_id) if application_id else []
    messages = [DrillMessage.from_record(r) for r in stored]
    events = deps.store.by_application(EVENT, application_id) if application_id else []
    rules = MachineRules.from_settings(deps.settings.machine)
    return summarise(messages, _links(messages), [DrillEvent.from_record(e) for e in events], rules)


def message_activity(deps: Deps, message_key: str) -> Counts:
    """The same for one message (a one-shot sample mail)."""
    record = deps.store.get(MESSAGE, message_key)
    if record is None:
        return Counts(0, 0, 0, 0, ())
    message = DrillMessage.from_record(record)
    events = [DrillEvent.from_record(e) for e in deps.store.with_prefix(EVENT, event_prefix(message_key))]
    rules = MachineRules.from_settings(deps.settings.machine)
    return summarise([message], _links([message]), events, rules)


def _links(messages: Iterable[DrillMessage]) -> dict[str, tuple[str, ...]]:
    return {m.key: load_template(m.month, m.variant).links for m in messages}


def summarise(
    messages: Sequence[DrillMessage],
    links: Mapping[str, Collection[str]],
    events: Sequence[DrillEvent],
    rules: MachineRules,
) -> Counts:
    """The counts of `messages` from their `events`, with each mail's `links` (by message key)."""
    classified = classify(events, {m.key: m for m in messages}, links, rules)
    per: dict[str, list[Classified]] = defaultdict(list)
    for c in classified:
        per[c.event.message].append(c)
    rows = []
    for m in messages:
        human = [c for c in per.get(m.key, []) if not c.machine]
        opens = [c.at for c in human]  # a click is an open too
        clicks = [c.at for c in human if c.event.type == "click"]
        rows.append(
            MessageActivity(
                key=m.key,
                email=m.email,
                sent_at=m.sent_at,
                first_open=min(opens) if opens else None,
                first_click=min(clicks) if clicks else None,
                machine_hits=sum(1 for c in per.get(m.key, []) if c.machine),
            )
        )
    return Counts(
        sent=sum(1 for row in rows if row.sent_at is not None),
        opened=sum(1 for row in rows if row.first_open is not None),
        clicked=sum(1 for row in rows if row.first_click is not None),
        machine_hits=sum(row.machine_hits for row in rows),
        messages=tuple(rows),
    )
