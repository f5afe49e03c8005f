"""Which tracking hits are machines' (mail security gateways, link checkers, previewers), not people's.

The drill's numbers count people; reports, HQ's statistics and the retention purge (which settles old
events) all classify hits with these same rules.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from campaign_core.drill_records import DrillEvent, DrillMessage
from campaign_core.settings import MachineSettings

# Mail security gateways, link checkers, chat and social previewers, scripts and headless browsers.
# Image proxies that fetch when a person opens the mail (Gmail's GoogleImageProxy) are not listed.
MACHINE_AGENTS = re.compile(
    r"bot\b|bot/|crawl|spider|preview|scanner|scan/|proofpoint|mimecast|barracuda|messagelabs|symantec"
    r"|trendmicro|trend micro|fortiguard|forcepoint|zscaler|sophos|ironport|safelinks|safe links"
    r"|python-requests|python-urllib|aiohttp|curl/|wget/|go-http-client|java/|okhttp|libwww|httpclient"
    r"|headless|phantomjs|facebookexternalhit|slackbot|skypeuripreview|whatsapp|discordbot|linkedinbot",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class MachineRules:
    """When a hit counts as a machine's (settings `CAMPAIGN_MACHINE_*`)."""

    click_after_delivery: timedelta = timedelta(seconds=20)  # faster than a person can read
    all_links_within: timedelta = timedelta(seconds=3)
    shared_client_recipients: int = 3  # one address clicking for this many recipients ...
    shared_client_within: timedelta = timedelta(seconds=60)  # ... inside this span

    @classmethod
    def from_settings(cls, machine: MachineSettings) -> MachineRules:
        return cls(
            click_after_delivery=timedelta(seconds=machine.click_seconds),
            shared_client_recipients=machine.shared_client,
        )


@dataclass(frozen=True)
class Classified:
    event: DrillEvent
    reasons: tuple[str, ...]

    @property
    def key(self) -> str:
        return self.event.key

    @property
    def machine(self) -> bool:
        return bool(self.reasons)

    @property
    def at(self) -> datetime:
        return _at(self.event)


def _at(event: DrillEvent) -> datetime:
    if event.at is None:  # every hit is written with its time (`tracking.record_hit`)
        raise ValueError(f"event {event.key} has no time")
    return event.at


def classify(
    events: Sequence[DrillEvent],
    messages: Mapping[str, DrillMessage],
    links: Mapping[str, Collection[str]],
    rules: MachineRules,
) -> list[Classified]:
    """Each event with the reasons it looks like a machine's (none: a person), given the mails
    the events are hits on and each mail's links, by message key."""
    reasons: dict[str, list[str]] = {e.key: [] for e in events}
    for e in events:
        if MACHINE_AGENTS.search(e.user_agent) or not e.user_agent:
            reasons[e.key].append("agent")
        if e.prefetch:
            reasons[e.key].append("prefetch")
        message = messages.get(e.message)
        sent_at = message.sent_at if message is not None else None
        if e.type == "click" and sent_at and _at(e) - sent_at < rules.click_after_delivery:
            reasons[e.key].append("too_fast")

    clicks = sorted((e for e in events if e.type == "click"), key=_at)
    # Every link of a mail clicked at once: a scanner following each URL.
    by_message: dict[str, list[DrillEvent]] = defaultdict(list)
    for e in clicks:
        by_message[e.message].append(e)
    for key, hits in by_message.items():
        wanted = set(links.get(key, ()))
        if len(wanted) < 2:
            continue
        for i in range(len(hits)):
            burst = _burst(hits, i, rules.all_links_within)
            if wanted <= {h.link for h in burst}:
                for h in burst:
                    _add(reasons[h.key], "all_links")
    # One client address clicking for several recipients within a minute: a gateway, not people.
    by_client: dict[str, list[DrillEvent]] = defaultdict(list)
    for e in clicks:
        by_client[e.client].append(e)
    for hits in by_client.values():
        for i in range(len(hits)):
            burst = _burst(hits, i, rules.shared_client_within)
            if len({h.message for h in burst}) >= rules.shared_client_recipients:
                for h in burst:
                    _add(reasons[h.key], "shared_client")
    return [Classified(e, tuple(reasons[e.key])) for e in events]


def _burst(hits: Sequence[DrillEvent], first: int, span: timedelta) -> list[DrillEvent]:
    """The hits from `hits[first]` on that fall within `span` of it (hits are in time order)."""
    start = _at(hits[first])
    return [h for h in hits[first:] if _at(h) - start <= span]


def _add(reasons: list[str], reason: str) -> None:
    if reason not in reasons:
        reasons.append(reason)
