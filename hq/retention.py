"""How long personal data is kept, and `purge`, which removes what is past its period.

The periods are settings (`CAMPAIGN_RETAIN_*`, in days) with defaults; the privacy page states them
from the same settings (`theme/hooks/site_build/retention.py`), so page and practice cannot drift apart.

- Tracking detail: the client address and user agent of each open and click are needed to tell a
  person from a security scanner. After `tracking_days` the events are *settled*: whether each was a
  machine's is decided once, kept as a plain marker, and the address and agent are erased, so a
  report opened later shows the same numbers.
- Records: applications (drill, seminar, one-shot), drills, drill mails, tracking events, check
  sheets and notices are deleted `records_days` after the application (for a drill: after its send
  window, when that is later).
- Unconfirmed: an application or request never confirmed is deleted `unconfirmed_days` after its
  confirmation deadline passed.
- Outbox: the local copies of sent mail (`var/outbox/`, local runs only) after `outbox_days`.

On DynamoDB the expired, unconfirmed one-shot requests and office claims also carry a TTL
(`expires_at`), which removes them on its own; `purge` does the rest on both stores. On AWS the
`PurgeFunction` (`drill_sender.lambda_entry.purge_handler`, daily at 03:30 JST) runs it, as
`local/jobs.py` does locally.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from campaign_core.clock import Clock
from campaign_core.machine import MachineRules, classify
from campaign_core.records import (
    APPLICATION,
    CHAMBER_DRILL,
    CHECK,
    DRILL,
    EVENT,
    MESSAGE,
    NOTICE,
    OFFICE_CLAIM,
    ONESHOT,
    SIGNUP,
    event_prefix,
)
from campaign_core.settings import MachineSettings, RetentionSettings, Settings
from campaign_core.store import Record, Store
from drill_sender.templates import load_template
from hq import audit

log = logging.getLogger(__name__)

SETTLED_AGENT = "settled"  # a person's hit, once its detail is erased
SETTLED_MACHINE_AGENT = "settled bot"  # a machine's hit: still matches the tracking's machine rule


#: The periods: `campaign_core.settings.RetentionSettings`, read once with the other settings.
Retention = RetentionSettings


def parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        instant = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def _latest(*values: Any) -> datetime | None:
    times = [t for t in (parse_time(v) for v in values) if t is not None]
    return max(times) if times else None


@dataclass
class PurgeSummary:
    deleted: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    settled_events: int = 0
    outbox_files: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "deleted": dict(sorted(self.deleted.items())),
            "settled_events": self.settled_events,
            "outbox_files": self.outbox_files,
        }


def _delete(store: Store, records: Iterable[Record], summary: PurgeSummary) -> None:
    for record in records:
        store.delete(record.kind, record.key)
        summary.deleted[record.kind] += 1


def settle_events(store: Store, events: list[Record], machine: MachineSettings) -> int:
    """Decide once whether each event was a machine's, then erase its client address and agent.

    Events are classified with every other event of the same drill (the scanner rules look at bursts
    across recipients), so the decision is the one the report made while the detail was there."""
    if not events:
        return 0

    rules = MachineRules.from_settings(machine)
    settled = 0
    groups: dict[str, list[Record]] = defaultdict(list)
    for event in events:
        groups[str(event.data.get("application_id") or f"message:{event.data.get('message')}")].append(event)
    for group, due in groups.items():
        wanted = {e.key for e in due}
        if group.startswith("message:"):
            message_keys = {str(e.data.get("message")) for e in due}
            all_events = [e for key in message_keys for e in store.with_prefix(EVENT, event_prefix(key))]
        else:
            all_events = store.by_application(EVENT, group)
            message_keys = {str(e.data.get("message")) for e in all_events}
        views: dict[str, dict[str, Any]] = {}
        for key in message_keys:
            message = store.get(MESSAGE, key)
            if message is None:
                continue
            try:
                links = load_template(int(message.data["month"]), str(message.data["variant"])).links
            except (KeyError, ValueError, FileNotFoundError):
                links = ()
            views[key] = {**message.data, "links": list(links)}
        for item in classify(all_events, views, rules):
            if item.key not in wanted:
                continue
            store.update(
                EVENT,
                item.key,
                {
                    "user_agent": SETTLED_MACHINE_AGENT if item.machine else SETTLED_AGENT,
                    "client": f"settled:{item.key}",  # unique: no shared-client burst from settled hits
                    "settled": True,
                    "machine_reasons": list(item.reasons),
                },
            )
            settled += 1
    return settled


def purge(
    store: Store,
    clock: Clock,
    retention: Retention,
    *,
    outbox_dir: Path | None = None,
    machine: MachineSettings | None = None,
) -> PurgeSummary:
    """Delete (or, for tracking detail, erase) what is past its period; safe to run any time."""
    now = clock.now().astimezone(UTC)
    summary = PurgeSummary()
    records_cutoff = retention.records_cutoff(now)
    unconfirmed_cutoff = retention.unconfirmed_cutoff(now)

    # 1. Tracking detail of events past the tracking period.
    tracking_cutoff = retention.tracking_cutoff(now)
    due = [
        e
        for e in store.query(EVENT)
        if not e.data.get("settled")
        and (t := parse_time(e.data.get("at"))) is not None
        and t < tracking_cutoff
    ]
    summary.settled_events = settle_events(store, due, machine or MachineSettings())

    # 2. Drill applications with everything of their drill.
    drills = {r.key: r for r in store.query(DRILL)}
    gone_applications: set[str] = set()
    for application in store.query(APPLICATION):
        data = application.data
        if data.get("status") == "accepted":
            drill = drills.get(application.key)
            last = _latest(data.get("applied_at"), drill.data.get("window_end") if drill else None)
            expired = last is not None and last < records_cutoff
        else:
            deadline = parse_time(data.get("confirm_by")) or parse_time(data.get("applied_at"))
            expired = deadline is not None and deadline < unconfirmed_cutoff
        if expired:
            gone_applications.add(application.key)
    orphan_drills = {
        key
        for key, drill in drills.items()
        if key not in gone_applications
        and (end := parse_time(drill.data.get("window_end"))) is not None
        and end < records_cutoff
        and store.get(APPLICATION, key) is None
    }
    for application_id in sorted(gone_applications | orphan_drills):
        messages = store.by_application(MESSAGE, application_id)
        _delete(store, store.by_application(EVENT, application_id), summary)
        _delete(store, store.by_application(CHECK, application_id), summary)
        _delete(store, store.by_application(NOTICE, application_id), summary)
        _delete(store, store.by_application(CHAMBER_DRILL, application_id), summary)
        _delete(store, messages, summary)
        _delete(store, [r for r in (store.get(DRILL, application_id),) if r is not None], summary)
        _delete(store, [r for r in (store.get(APPLICATION, application_id),) if r is not None], summary)
    _delete(
        store,
        [
            c
            for c in store.query(OFFICE_CLAIM)
            if str(c.data.get("application_id")) in gone_applications
            or (c.expires_at is not None and c.expires_at < unconfirmed_cutoff)
        ],
        summary,
    )

    # 3. Seminar signups.
    _delete(
        store,
        [
            s
            for s in store.query(SIGNUP)
            if (t := parse_time(s.data.get("signed_up_at"))) is not None
            and (t < records_cutoff or (s.data.get("status") == "pending" and t < unconfirmed_cutoff))
        ],
        summary,
    )

    # 4. One-shot requests with their sample mail and its events.
    for request in store.query(ONESHOT):
        data = request.data
        if data.get("status") == "confirmed":
            last = _latest(data.get("confirmed_at"), data.get("requested_at"))
            expired = last is not None and last < records_cutoff
        else:
            expired = (request.expires_at or parse_time(data.get("requested_at")) or now) < unconfirmed_cutoff
        if not expired:
            continue
        message_key = f"oneshot-{request.key}"
        _delete(store, store.query(EVENT, where={"message": message_key}), summary)
        _delete(store, [r for r in (store.get(MESSAGE, message_key),) if r is not None], summary)
        _delete(store, [request], summary)

    # 5. Local outbox copies.
    if outbox_dir is not None and outbox_dir.is_dir():
        cutoff = retention.outbox_cutoff(now)
        for path in sorted(outbox_dir.glob("*.eml")):
            if mail_date(path) < cutoff:
                path.unlink()
                summary.outbox_files += 1
    return summary


def mail_date(path: Path) -> datetime:
    """When a mail of the outbox was sent: its Date header (written with the campaign's clock, so
    rehearsals with `CAMPAIGN_NOW` age as they should), else the file's time."""
    with path.open("rb") as handle:
        headers = BytesHeaderParser().parse(handle)
    try:
        sent = parsedate_to_datetime(str(headers.get("Date", "")))
    except (TypeError, ValueError):
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return sent if sent.tzinfo else sent.replace(tzinfo=UTC)


def purge_and_audit(
    store: Store, clock: Clock, settings: Settings, *, who: str | None = None
) -> dict[str, Any]:
    """`purge` with the configured periods, and its audit line (the staff command, the daily job)."""

    summary = purge(
        store,
        clock,
        settings.retention,
        outbox_dir=settings.outbox_dir,
        machine=settings.machine,
    ).as_dict()
    audit.record(store, clock, "purge", summary, who=who)
    return summary
