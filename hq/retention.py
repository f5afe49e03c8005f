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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from campaign_core.clock import Clock, iso
from campaign_core.drill_records import Drill, DrillEvent, DrillMessage
from campaign_core.form_records import DrillApplication, OneshotRequest, SeminarSignup
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
    SETTING,
    SIGNUP,
    event_prefix,
)
from campaign_core.settings import MachineSettings, RetentionSettings, Settings
from campaign_core.store import Record, Store
from campaign_core.store.migrate import restart_periods
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
    if isinstance(value, datetime):  # read from a typed record already
        return value
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


def settle_events(store: Store, events: Sequence[DrillEvent], machine: MachineSettings) -> int:
    """Decide once whether each event was a machine's, then erase its client address and agent.

    Events are classified with every other event of the same drill (the scanner rules look at bursts
    across recipients), so the decision is the one the report made while the detail was there."""
    if not events:
        return 0

    rules = MachineRules.from_settings(machine)
    settled = 0
    groups: dict[str, list[DrillEvent]] = defaultdict(list)
    for event in events:
        groups[event.application_id or f"message:{event.message}"].append(event)
    for group, due in groups.items():
        wanted = {e.key for e in due}
        if group.startswith("message:"):
            message_keys = {e.message for e in due}
            stored = [e for key in message_keys for e in store.with_prefix(EVENT, event_prefix(key))]
        else:
            stored = store.by_application(EVENT, group)
        all_events = [DrillEvent.from_record(e) for e in stored]
        messages: dict[str, DrillMessage] = {}
        links: dict[str, tuple[str, ...]] = {}
        for key in {e.message for e in all_events}:
            record = store.get(MESSAGE, key)
            if record is None:
                continue
            message = messages[key] = DrillMessage.from_record(record)
            try:
                links[key] = load_template(message.month, message.variant).links
            except (KeyError, ValueError, FileNotFoundError):
                links[key] = ()
        for item in classify(all_events, messages, links, rules):
            if item.key not in wanted:
                continue
            store.update(
                EVENT,
                item.key,
                DrillEvent.changes(
                    user_agent=SETTLED_MACHINE_AGENT if item.machine else SETTLED_AGENT,
                    client=f"settled:{item.key}",  # unique: no shared-client burst from settled hits
                    settled=True,
                    machine_reasons=item.reasons,
                    purge_at=None,  # nothing left to purge on its own: it goes with its application
                ),
            )
            settled += 1
    return settled


def _look_again(store: Store, record: Record, end: datetime | None) -> None:
    """Not past its period yet: out of the `purge` index until its period's end (for good when it
    has none). Written only over the version read: a record changed meanwhile keeps the `purge_at`
    its writer gave it (never later than its period's end, `Store.with_period`), so it is looked at
    again on the next run."""
    wanted = None if end is None else iso(end)
    if record.data.get("purge_at") != wanted:
        store.update(record.kind, record.key, {"purge_at": wanted}, expect_version=record.version)


def _looked_at(store: Store, kind: str, now: datetime) -> list[Record]:
    """What the purge looks at: written since its last run, or come to the end of its period."""
    return store.due(kind, now, index="purge_at")


def application_end(
    application: DrillApplication | None, drill: Drill | None, retention: Retention
) -> datetime | None:
    """When an application and its drill are past their period: an accepted one `records_days`
    after it was made or after its drill's window, whichever is later; one never confirmed
    `unconfirmed_days` after its confirmation deadline; a drill left without its application
    `records_days` after its window."""
    window_end = drill.window_end if drill else None
    if application is None or application.status == "accepted":
        last = _latest(application.applied_at if application else None, window_end)
        return None if last is None else last + timedelta(days=retention.records_days)
    deadline = application.confirm_by or application.applied_at
    return None if deadline is None else deadline + timedelta(days=retention.unconfirmed_days)


def signup_end(signup: SeminarSignup, retention: Retention) -> datetime | None:
    """A seminar signup is kept `records_days`; one never confirmed only `unconfirmed_days`."""
    at = signup.signed_up_at
    days = retention.records_days
    if signup.status == "pending":
        days = min(days, retention.unconfirmed_days)
    return None if at is None else at + timedelta(days=days)


def oneshot_end(request: OneshotRequest, retention: Retention) -> datetime | None:
    """A confirmed one-shot request is kept `records_days` after its confirmation; one never
    confirmed `unconfirmed_days` after its deadline."""
    if request.status == "confirmed":
        times = [t for t in (request.confirmed_at, request.requested_at) if t is not None]
        return max(times) + timedelta(days=retention.records_days) if times else None
    start = request.expires_at or request.requested_at
    return None if start is None else start + timedelta(days=retention.unconfirmed_days)


def tracking_end(event: DrillEvent, retention: Retention) -> datetime | None:
    """When an open or click's detail (client address, agent) is erased; None once it is."""
    if event.settled or event.at is None:
        return None
    return event.at + timedelta(days=retention.tracking_days)


def purge(
    store: Store,
    clock: Clock,
    retention: Retention,
    *,
    outbox_dir: Path | None = None,
    machine: MachineSettings | None = None,
) -> PurgeSummary:
    """Delete (or, for tracking detail, erase) what is past its period; safe to run any time.

    It reads only what the `purge` index holds up to now (`records.PERIOD_STARTS`): what was
    written since the last run, and what has come to the end of its period. A record not yet past
    its period leaves the index until its end. After a period was shortened (or on the first run
    over data older than the index), every record is looked at once (`restart_periods`)."""
    now = clock.now().astimezone(UTC)
    summary = PurgeSummary()
    restart_if_shortened(store, retention)

    # 1. Tracking detail of events past the tracking period.
    due: list[DrillEvent] = []
    for record in _looked_at(store, EVENT, now):
        event = DrillEvent.from_record(record)
        end = tracking_end(event, retention)
        if end is not None and end < now:
            due.append(event)
        else:
            _look_again(store, record, end)
    summary.settled_events = settle_events(store, due, machine or MachineSettings())

    # 2. Drill applications with everything of their drill.
    candidates = {r.key for r in _looked_at(store, APPLICATION, now)}
    candidates |= {r.key for r in _looked_at(store, DRILL, now)}
    for application_id in sorted(candidates):
        application, drill = store.get(APPLICATION, application_id), store.get(DRILL, application_id)
        typed = DrillApplication.from_record(application) if application else None
        end = application_end(typed, Drill.from_record(drill) if drill else None, retention)
        if end is None or end >= now:
            for kept in (application, drill):
                if kept is not None:
                    _look_again(store, kept, end)
            continue
        for kind in (EVENT, CHECK, NOTICE, CHAMBER_DRILL, MESSAGE, OFFICE_CLAIM):
            _delete(store, store.by_application(kind, application_id), summary)
        _delete(store, [r for r in (drill, application) if r is not None], summary)

    # 3. Seminar signups.
    for signup in _looked_at(store, SIGNUP, now):
        end = signup_end(SeminarSignup.from_record(signup), retention)
        if end is not None and end < now:
            _delete(store, [signup], summary)
        else:
            _look_again(store, signup, end)

    # 4. One-shot requests with their sample mail and its events.
    for request in _looked_at(store, ONESHOT, now):
        end = oneshot_end(OneshotRequest.from_record(request), retention)
        if end is None or end >= now:
            _look_again(store, request, end)
            continue
        message_key = f"oneshot-{request.key}"
        _delete(store, store.with_prefix(EVENT, event_prefix(message_key)), summary)
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


PERIODS_KEY = "retention_periods"  # the `SETTING` the purge keeps the periods it last ran with in


def restart_if_shortened(store: Store, retention: Retention) -> bool:
    """Look at every record once more when a period is shorter than on the last run (or on the
    first run: data written before the `purge` index): each `purge_at` was set for the longer
    period. A longer period needs nothing: records come up early and move on to their new end."""
    periods = {
        "tracking_days": retention.tracking_days,
        "records_days": retention.records_days,
        "unconfirmed_days": retention.unconfirmed_days,
    }
    last = store.get(SETTING, PERIODS_KEY)
    if last is not None and all(int(last.data.get(name, 0)) <= days for name, days in periods.items()):
        if last.data != periods:
            store.update(SETTING, PERIODS_KEY, periods)
        return False
    restart_periods(store, only_missing=False)
    if last is None:
        store.put_new(SETTING, PERIODS_KEY, periods)
    else:
        store.update(SETTING, PERIODS_KEY, periods)
    return True


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
