"""The report that goes to the officer by itself: the scheduler's run (`scheduler_run`, as the local loop
and the scheduled Lambda run it) with the clock moved on, on SQLite and on DynamoDB (moto); staff
holding and sending one with the command; late reports in `campaign applications`."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from campaign_core.clock import JST, FixedClock, parse_iso
from campaign_core.deps import Deps
from campaign_core.mail.smtp import SMTPMailer
from campaign_core.records import APPLICATION, DRILL
from campaign_core.settings import Settings
from campaign_core.store import Store
from drill_sender.services.report_due import report_due_at, scheduler_run
from drill_sender.services.schedule import schedule
from tests.support.drill import Run, SentDrill, accepted_application, scheduled_drills, staff
from tests.support.servers import FaultySMTPServer, free_port

OFFICER = "taro@test-corp.example.jp"


def _lines(text: str, event: str) -> list[dict[str, Any]]:
    lines = (json.loads(line) for line in text.splitlines() if line.startswith("{"))
    return [line for line in lines if line.get("event") == event]


def _report_mails(smtp: FaultySMTPServer) -> list[str]:
    found = []
    for mail in smtp.received:
        body = mail.message.get_body(("plain",))
        if body is not None and "/t/report/" in body.get_content():
            found.append(mail.rcpt_tos[0])
    return found


@pytest.mark.parametrize(
    ("last_day", "period", "due_day"),
    [
        (date(2026, 12, 4), 3, date(2026, 12, 10)),  # Fri -> Mon, Tue, Wed to report; sent Thu
        (date(2026, 12, 25), 3, date(2027, 1, 6)),  # 28 Dec, then 年末年始 closed: 4 and 5 Jan
        (date(2026, 9, 18), 3, date(2026, 9, 29)),  # 敬老の日, 国民の休日, 秋分の日: 24, 25, 28 Sep
        (date(2026, 12, 1), 0, date(2026, 12, 2)),  # no period: the next business day
    ],
)
def test_the_reporting_period_counts_business_days_only(last_day: date, period: int, due_day: date) -> None:
    end = datetime(last_day.year, last_day.month, last_day.day, 17, 0, tzinfo=JST)
    assert report_due_at(end, period) == datetime(due_day.year, due_day.month, due_day.day, tzinfo=JST)


def test_the_scheduler_mails_the_report_once_the_reporting_period_has_passed(
    sent: Callable[..., SentDrill], smtp: FaultySMTPServer, store: Store, deps: Deps, clock: FixedClock
) -> None:
    drill = sent(count=2)  # scheduled on Mon 30 Nov (one day), sent by a run on Mon 7 Dec
    record = store.get(DRILL, drill.application_id)
    assert record is not None
    due = report_due_at(parse_iso(record.data["window_end"]), deps.settings.report.business_days)
    assert due == datetime(2026, 12, 4, tzinfo=JST)  # Tue, Wed, Thu after Mon 30 Nov
    # `campaign send-due` (the fixture's run) sends drill mail only; the scheduler's run, past the
    # period already, sends the report as well.
    assert _report_mails(smtp) == []
    assert scheduler_run(deps).reports_sent == 1
    assert _report_mails(smtp) == [OFFICER]
    record = store.get(DRILL, drill.application_id)
    assert record is not None and record.data["report_state"] == "sent"
    assert parse_iso(record.data["report_sent_at"]) == clock.now()
    # Later runs (every minute locally, every five on AWS) never send it again.
    clock.advance(timedelta(days=1))
    assert scheduler_run(deps).reports_sent == 0
    assert _report_mails(smtp) == [OFFICER]


def test_not_before_the_period_is_over_and_not_while_held(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps, smtp: FaultySMTPServer
) -> None:
    first, held = scheduled_drills(store, settings, clock, deps, staff(1), staff(2)[1:])
    clock.advance(timedelta(hours=9))  # Mon 18:00 JST: every drill mail is out, the window closed
    summary = scheduler_run(deps)
    assert summary.count("sent") == 2 and summary.reports_sent == 0
    # Thursday 3 Dec, 23:59 JST: the third day to report has not ended.
    clock.current = datetime(2026, 12, 3, 23, 59, tzinfo=JST).astimezone(UTC)
    assert scheduler_run(deps).reports_sent == 0 and _report_mails(smtp) == []
    assert store.update(DRILL, held, {"report_state": "held"})
    clock.advance(timedelta(minutes=1))  # Friday 00:00 JST
    assert scheduler_run(deps).reports_sent == 1
    assert _report_mails(smtp) == [OFFICER]
    states = {key: store.get(DRILL, key) for key in (first, held)}
    assert {k: r.data["report_state"] for k, r in states.items() if r} == {first: "sent", held: "held"}


def test_staff_hold_a_report_and_send_it_with_the_command(
    run: Run, store: Store, settings: Settings, clock: FixedClock, deps: Deps, smtp: FaultySMTPServer
) -> None:
    app_id = accepted_application(store, settings, clock, staff(1))
    schedule(deps, app_id, days=1)
    held = run("report", app_id, "--hold", now="2026-12-01T09:00")
    assert held.exit_code == 0 and "自動送信を止めました" in held.output
    clock.current = datetime(2026, 12, 4, 9, 0, tzinfo=JST)
    assert scheduler_run(deps).reports_sent == 0
    assert _report_mails(smtp) == []  # held: the scheduler leaves it
    # Two weeks after the window it is late, and `campaign applications` says so.
    (row,) = json.loads(run("applications", "--json", now="2026-12-15T09:00").output)
    assert row["report_late"] is True and row["report_state"] == "held"
    table = run("applications", now="2026-12-15T09:00").output
    assert "2週間の目標に遅れているレポート: 1 件" in table
    both = run("report", app_id, "--hold", "--send", now="2026-12-15T09:00")
    assert both.exit_code != 0
    sent = run("report", app_id, "--send", "--output", "-", now="2026-12-15T09:00")
    assert sent.exit_code == 0 and _report_mails(smtp) == [OFFICER]
    (row,) = json.loads(run("applications", "--json", now="2026-12-15T09:30").output)
    assert row["report_state"] == "sent" and row["report_late"] is True  # sent, but after the target
    # Resending is allowed: the officer lost the mail.
    assert run("report", app_id, "--send", now="2026-12-16T09:00").exit_code == 0
    assert _report_mails(smtp) == [OFFICER, OFFICER]


@pytest.fixture
def drills(store: Store, settings: Settings, clock: FixedClock, deps: Deps) -> list[str]:
    """Two drills whose mails went out and whose report period is over: their reports are due."""
    drills = scheduled_drills(store, settings, clock, deps, staff(1), staff(2)[1:])
    clock.advance(timedelta(hours=9))
    assert scheduler_run(deps).count("sent") == 2  # the drill mails; no report is due yet
    clock.current = datetime(2026, 12, 4, 9, 0, tzinfo=JST).astimezone(UTC)
    return drills


def test_an_account_level_error_stops_the_reports_too_and_logs_the_stop(
    drills: list[str], store: Store, deps: Deps, smtp: FaultySMTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    down = replace(deps, mailer=SMTPMailer("127.0.0.1", free_port(), timeout=2))  # nothing listens
    summary = scheduler_run(down)
    # One try, then the run stops as a drill mail run does: the alarm's line, both reports waiting.
    assert summary.stopped == "relay_unreachable" and summary.reports_sent == 0
    (stopped,) = _lines(capsys.readouterr().err, "send_stopped")
    assert "relay_unreachable" in stopped["reason"]
    states = [store.get(DRILL, app_id) for app_id in drills]
    assert [r.data["report_state"] for r in states if r] == ["waiting", "waiting"]
    # The relay is back: the next run sends both.
    assert scheduler_run(deps).reports_sent == 2
    assert _report_mails(smtp) == [OFFICER, OFFICER]


def test_a_report_the_officers_mailbox_refuses_is_logged_and_held_for_staff(
    drills: list[str],
    store: Store,
    clock: FixedClock,
    deps: Deps,
    smtp: FaultySMTPServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    refused, fine = drills
    assert store.update(APPLICATION, refused, {"officer_email": "reject-taro@test-corp.example.jp"})
    capsys.readouterr()
    summary = scheduler_run(deps)
    assert summary.reports_sent == 1 and not summary.stopped
    (failed,) = _lines(capsys.readouterr().err, "send_failed")
    assert failed["message"] == refused and "550" in failed["reason"]
    assert "reject-taro" not in failed["reason"]  # the logs never hold an address
    record = store.get(DRILL, refused)
    assert record is not None and record.data["report_state"] == "held"
    assert "550" in record.data["report_error"]
    # Not tried again every run: staff fix the address and send it with `campaign report ID --send`.
    clock.advance(timedelta(minutes=5))
    assert scheduler_run(deps).reports_sent == 0
    assert _lines(capsys.readouterr().err, "send_failed") == []
    assert _report_mails(smtp) == [OFFICER]
    assert store.get(DRILL, fine).data["report_state"] == "sent"  # type: ignore[union-attr]
