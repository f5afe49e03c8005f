"""Schedule an accepted application: one `drill` record and one `drill_message` per participant
who may receive drill mail, each with its own send time inside the window.

Only participants the forms service marks as mailable (in the officer's domain, or confirmed by
their own link) get a message: the service must never be a way to mail strangers. Everything is
written in one transaction together with a versioned update of the application, so two staff
members scheduling the same application at once end up with one drill, not two.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from campaign_core.clock import JST, iso
from campaign_core.deps import Deps
from campaign_core.drill_records import Drill, DrillMessage
from campaign_core.form_records import DrillApplication
from campaign_core.records import APPLICATION, CHAMBER_DRILL, DRILL, MESSAGE, chamber_drill_key
from campaign_core.store import ConditionFailed, Put, Update
from drill_sender.services.drill_state import WAITING
from drill_sender.templates import VARIANTS, TemplateError, load_template, template_key
from drill_sender.window import Interval, assign_send_times, send_intervals

DEFAULT_DAYS = 3
DEFAULT_VARIANT = "obvious"


class ScheduleError(Exception):
    """The application cannot be scheduled; `code` is stable for scripts, the text is for people."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(text)
        self.code = code


@dataclass(frozen=True)
class ScheduledMessage:
    key: str
    email: str
    send_at: datetime


@dataclass(frozen=True)
class ScheduleResult:
    application_id: str
    template: str
    messages: tuple[ScheduledMessage, ...]
    refused: tuple[str, ...]  # addresses that have not confirmed: no drill mail for them
    window_start: datetime
    window_end: datetime
    # The day by which staff should have seen the seminar (the acceptance mail names it): a
    # window that starts on or before it breaks the plan's order, seminar first.
    seminar_by: date | None = None

    @property
    def before_seminar(self) -> bool:
        return self.seminar_by is not None and self.window_start.astimezone(JST).date() <= self.seminar_by


def message_id_header(key: str, domain: str) -> str:
    """A fixed Message-ID per message: a resent copy would carry the same id, so a mail system
    (and the forwarded-report matcher) sees it as the same mail."""
    return f"<drill.{key}@{domain}>"


def new_message(
    deps: Deps,
    key: str,
    *,
    application_id: str,
    email: str,
    company: str,
    month: int,
    variant: str,
    send_at: datetime,
    purpose: str,
) -> dict[str, Any]:
    return {
        "application_id": application_id,
        "purpose": purpose,  # "drill" or "oneshot"
        "email": email,
        "company": company,
        "month": month,
        "variant": variant,
        "template": template_key(month, variant),
        "message_id": message_id_header(key, deps.drill_domain),
        "send_at": iso(send_at),
        "state": "scheduled",  # -> sending -> sent | failed (a transient failure goes back to scheduled)
        "attempts": 0,
        "next_attempt_at": iso(send_at),
        "due_at": iso(send_at),  # the sparse `due` index: set while the scheduler has work here
        "lease_until": None,
        "claimed_by": None,
        "sent_at": None,
        "provider_id": None,
        "last_error": None,
    }


def chosen_variant(application: DrillApplication) -> str:
    """The drill mail the officer asked for; "auto" (おまかせ) and older applications: the default."""
    asked = application.variant
    return asked if asked in VARIANTS else DEFAULT_VARIANT


@dataclass(frozen=True)
class _Plan:
    intervals: list[Interval]
    messages: tuple[ScheduledMessage, ...]
    puts: list[Put | Update]  # one new `drill_message` record a message


def _plan(
    deps: Deps,
    addresses: Sequence[str],
    *,
    first_day: date,
    days: int,
    now: datetime,
    rng: random.Random | None,
    application_id: str,
    company: str,
    month: int,
    variant: str,
) -> _Plan:
    """A send time for each address inside `days` business days from `first_day`, and its message."""
    intervals = send_intervals(first_day, days, not_before=now)
    if not intervals:
        raise ScheduleError("bad_window", "the send window has already passed; choose a later start")
    try:
        times = assign_send_times(addresses, intervals, rng or random.SystemRandom())
    except ValueError as exc:
        raise ScheduleError("bad_window", f"no room in the send window: {exc}") from exc
    messages = tuple(ScheduledMessage(secrets.token_hex(10), address, at) for address, at in times)
    puts: list[Put | Update] = [
        Put(
            MESSAGE,
            m.key,
            new_message(
                deps, m.key, application_id=application_id, email=m.email, company=company,
                month=month, variant=variant, send_at=m.send_at, purpose="drill",
            ),
        )
        for m in messages
    ]  # fmt: skip
    return _Plan(intervals, messages, puts)


def schedule(
    deps: Deps,
    application_id: str,
    *,
    start: date | None = None,
    days: int = DEFAULT_DAYS,
    month: int | None = None,
    variant: str | None = None,
    rng: random.Random | None = None,
) -> ScheduleResult:
    """`variant` None: the one the officer chose on the form; おまかせ (or an application from
    before the choice) gets the obvious one, as staff chose by default before."""
    now = deps.now()
    record = deps.store.get(APPLICATION, application_id)
    if record is None:
        raise ScheduleError("not_found", f"no application {application_id!r}")
    application = DrillApplication.from_record(record)
    if application.status != "accepted":
        raise ScheduleError(
            "not_accepted",
            f"application {application_id} is {application.status!r}: not confirmed by the officer",
        )
    if deps.store.get(DRILL, application_id) is not None or application.drill_status:
        raise ScheduleError("already_scheduled", f"application {application_id} is already scheduled")
    variant = variant or chosen_variant(application)
    if variant not in VARIANTS:
        raise ScheduleError("bad_variant", f"variant must be one of {', '.join(VARIANTS)}")
    if days < 1:
        raise ScheduleError("bad_days", "the window needs at least one business day")
    first_day = start or now.astimezone(JST).date()
    if first_day < now.astimezone(JST).date():
        raise ScheduleError("past_start", f"the start date {first_day} has already passed")
    chosen_month = month or first_day.month
    try:
        template = load_template(chosen_month, variant)
    except TemplateError as exc:
        raise ScheduleError("bad_template", str(exc)) from exc

    mailable = application.mailable()
    everyone = [p.email for p in application.participants]
    refused = tuple(address for address in everyone if address not in mailable)
    if not mailable:
        raise ScheduleError("no_participants", "no participant has confirmed yet: nothing to schedule")

    company = application.company
    plan = _plan(
        deps, mailable, first_day=first_day, days=days, now=now, rng=rng,
        application_id=application_id, company=company, month=template.month, variant=variant,
    )  # fmt: skip
    intervals, messages, ops = plan.intervals, plan.messages, plan.puts
    window_start, window_end = intervals[0].start, intervals[-1].end
    drill = Drill(
        key=application_id, application_id=application_id, company=company, chamber=application.chamber,
        template=template.key, month=template.month, variant=variant,
        window_start=window_start, window_end=window_end, days=days,
        messages=tuple(m.key for m in messages), refused=refused, scheduled_at=now,
        report_state=WAITING,  # the scheduler sends the report (services/report_due.py)
        due_at=window_start,  # open for the scheduler (services/drill_state.py)
    )  # fmt: skip
    ops.append(Put(DRILL, application_id, drill.to_item()))
    started = window_start.astimezone(JST).date()
    listing = chamber_drill_key(application.chamber, started, application_id)
    if listing is not None:  # the chamber's feedback lists its drills by this key
        ops.append(
            Put(CHAMBER_DRILL, listing, {"application_id": application_id, "started": started.isoformat()})
        )
    ops.append(
        Update(
            APPLICATION,
            application_id,
            DrillApplication.changes(drill_status="scheduled", drill_scheduled_at=now),
            expect_version=record.version,
        )
    )
    try:
        deps.store.transact(ops)
    except ConditionFailed as exc:
        raise ScheduleError(
            "already_scheduled", f"application {application_id} changed or was scheduled meanwhile"
        ) from exc
    return ScheduleResult(
        application_id=application_id,
        template=template.key,
        messages=tuple(sorted(messages, key=lambda m: m.send_at)),
        refused=refused,
        window_start=window_start,
        window_end=window_end,
        seminar_by=date.fromisoformat(application.seminar_by) if application.seminar_by else None,
    )


def schedule_late(
    deps: Deps,
    application_id: str,
    *,
    start: date | None = None,
    rng: random.Random | None = None,
) -> ScheduleResult:
    """Add the participants who confirmed by their own link after the drill was scheduled, with the
    same template, in a window of as many business days from `start` (default: today)."""
    now = deps.now()
    stored = deps.store.get(DRILL, application_id)
    record = deps.store.get(APPLICATION, application_id)
    if stored is None or record is None:
        raise ScheduleError("not_scheduled", f"application {application_id} has no scheduled drill")
    drill, application = Drill.from_record(stored), DrillApplication.from_record(record)
    scheduled = {
        DrillMessage.from_record(m).email for m in deps.store.by_application(MESSAGE, application_id)
    }
    late = [address for address in application.mailable() if address not in scheduled]
    if not late:
        raise ScheduleError("nothing_new", "every confirmed participant already has a drill mail")
    first_day = start or now.astimezone(JST).date()
    if first_day < now.astimezone(JST).date():
        raise ScheduleError("past_start", f"the start date {first_day} has already passed")
    plan = _plan(
        deps, late, first_day=first_day, days=drill.days or DEFAULT_DAYS, now=now,
        rng=rng, application_id=application_id, company=application.company,
        month=drill.month, variant=drill.variant,
    )  # fmt: skip
    intervals, messages, ops = plan.intervals, plan.messages, plan.puts
    still_waiting = [r for r in drill.refused if r not in late]
    window_end = intervals[-1].end if drill.window_end is None else max(intervals[-1].end, drill.window_end)
    changes = Drill.changes(
        messages=(*drill.messages, *(m.key for m in messages)),
        refused=tuple(still_waiting),
        window_end=window_end,
        followups_planned=False,
    )
    changes |= Drill.changes(due_at=drill.updated(changes).wanted_due_at())
    ops.append(Update(DRILL, application_id, changes, expect_version=drill.version))
    try:
        deps.store.transact(ops)
    except ConditionFailed as exc:
        raise ScheduleError("changed", f"the drill of {application_id} changed meanwhile; try again") from exc
    return ScheduleResult(
        application_id=application_id,
        template=drill.template,
        messages=tuple(sorted(messages, key=lambda m: m.send_at)),
        refused=tuple(still_waiting),
        window_start=intervals[0].start,
        window_end=intervals[-1].end,
    )
