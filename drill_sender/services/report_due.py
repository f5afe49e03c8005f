"""The drill report goes to the officer by itself: once the send window has closed and the
reporting period (`CAMPAIGN_REPORT_BUSINESS_DAYS` business days, Japanese holidays excluded) has
passed, the scheduler (`scheduler_run`: the local loop and the scheduled Lambda alike) mails the
officer the report link. Staff can hold one (`campaign report ID --hold`) or send it at once (`--send`).

A drill's report state lives on its `drill` record: `report_state` is "waiting" from scheduling
until it is "sent" (or "held"); the scheduler looks only at waiting drills (`drills_awaiting_report`,
the one lookup of this module), and marks a drill sent with a conditional write, so two runs
never mail the officer twice. A failure is never silent (issue 10): an account-level mail error
stops the run as it stops the drill mails (`send_stopped`, every report still waiting); a mailbox
that refuses the report holds that drill for staff (`send_failed`, `report_error` on the drill)
instead of trying it again every run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from campaign_core.clock import JST
from campaign_core.deps import Deps
from campaign_core.drill_records import Drill
from campaign_core.mail import AccountMailError, MailError, PermanentMailError
from campaign_core.mail.log import log_event, log_send_failed
from campaign_core.records import DRILL
from drill_sender.services.drill_state import HELD, SENDING, SENT, WAITING, change_drill, open_drills
from drill_sender.services.notices import send_report_notice
from drill_sender.services.report import build_report
from drill_sender.services.send import SendSummary, send_due
from drill_sender.window import business_days


def report_due_at(window_end: datetime, period_days: int) -> datetime:
    """The start of the first business day after `period_days` full business days that follow the
    window's last day (JST): with 3, a window ending on Friday gives Thursday 00:00 (Mon, Tue, Wed
    were the days to report in)."""
    after = window_end.astimezone(JST).date() + timedelta(days=1)
    due_day = business_days(after, period_days + 1)[-1]
    return datetime.combine(due_day, time(0, 0), tzinfo=JST)


def due_at(deps: Deps, drill: Drill) -> datetime:
    return report_due_at(drill.window()[1], deps.settings.report.business_days)


def drills_awaiting_report(deps: Deps) -> list[Drill]:
    """Every drill whose report is still to be sent by the scheduler (state "waiting"): read from
    the open drills (`drill_state`), so the read does not grow with the campaign's history."""
    return [drill for drill in open_drills(deps) if drill.report_state == WAITING]


def scheduler_run(deps: Deps, *, stop: Callable[[], bool] | None = None) -> SendSummary:
    """What the scheduler runs (the local loop every minute, the scheduled Lambda): send what is
    due, then mail the reports whose period has passed. `campaign send-due` sends only mail."""
    summary = send_due(deps, stop=stop)
    if summary.stopped or (stop and stop()):  # an account-level error: the reports wait as well
        return summary
    reports = send_due_reports(deps)
    summary.reports_sent = len(reports.sent)
    summary.stopped = reports.stopped
    return summary


@dataclass(frozen=True)
class ReportRun:
    sent: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    stopped: str = ""  # the account-level reason the run stopped at (AccountMailError.reason)


def send_due_reports(deps: Deps) -> ReportRun:
    """Mail the officer of every drill whose reporting period has passed the link to its report."""
    now = deps.now()
    sent: list[str] = []
    failed: list[str] = []
    for drill in drills_awaiting_report(deps):
        if due_at(deps, drill) > now:
            continue
        # Claim first (a conditional write): another run that read the same version skips it.
        claim = Drill.changes(report_state=SENDING, report_claimed_at=now)
        if not deps.store.update(DRILL, drill.key, claim, expect_version=drill.version):
            continue
        try:
            send_report_notice(deps, drill.key)
        except AccountMailError as exc:  # no mail can go now: this one and the rest wait
            _not_sent(deps, drill.key, WAITING, exc)
            log_event("send_stopped", reason=f"{exc.reason}: {exc}", message=drill.key, kind="drill_report")
            return ReportRun(tuple(sent), tuple(failed), stopped=exc.reason)
        except PermanentMailError as exc:  # this officer's mailbox refuses it: staff look first
            _not_sent(deps, drill.key, HELD, exc)
            log_send_failed(drill.key, str(exc), kind="drill_report")
            failed.append(drill.key)
            continue
        except (MailError, KeyError) as exc:
            _not_sent(deps, drill.key, WAITING, exc)
            failed.append(drill.key)
            continue
        mark_report_sent(deps, drill.key, "scheduler")
        sent.append(drill.key)
    return ReportRun(tuple(sent), tuple(failed))


def _not_sent(deps: Deps, application_id: str, state: str, error: Exception) -> None:
    deps.store.update(DRILL, application_id, Drill.changes(report_state=state, report_error=str(error)[:300]))


def hold_report(deps: Deps, application_id: str) -> bool:
    """Staff keep the scheduler from sending this drill's report (False: no such drill)."""
    return change_drill(deps, application_id, Drill.changes(report_state=HELD, report_held_at=deps.now()))


def mark_report_sent(deps: Deps, application_id: str, who: str) -> None:
    """The report went out: counted in the campaign's figures (building it does, once the window
    has closed) and the drill marked."""
    build_report(deps, application_id)
    sent = Drill.changes(report_state=SENT, report_sent_at=deps.now(), report_sent_by=who)
    change_drill(deps, application_id, sent)


def report_lateness(target_after: timedelta, drill: Drill, now: datetime) -> tuple[datetime, bool]:
    """The target date (the window's end + `target_after`, `CAMPAIGN_REPORT_TARGET_DAYS`) and
    whether the report missed it: not sent by then, or sent after it."""
    target = drill.window()[1] + target_after
    sent = drill.report_sent_at
    late = sent > target if sent else now > target
    return target, late
