"""Scheduling and sending drill mail, on SQLite and on DynamoDB (moto), to a real SMTP server."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest

from campaign_core.clock import JST, FixedClock, parse_iso
from campaign_core.deps import Deps
from campaign_core.records import DRILL, MESSAGE, ONESHOT
from campaign_core.settings import Settings
from campaign_core.store import Store
from drill_sender.services.schedule import ScheduleError, schedule, schedule_late
from drill_sender.services.send import send_due
from drill_sender.window import is_business_day
from tests.support.drill import (
    OFFICER_DOMAIN,
    PacingTime,
    accepted_application,
    after_window,
    confirm_participant,
    confirmed_oneshot,
    scheduled_and_due,
    staff,
)
from tests.support.servers import FaultySMTPServer

OUTSIDER = "jiro@partner.example.com"


def test_schedule_gives_each_confirmed_participant_one_message_in_business_hours(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps
) -> None:
    app_id = accepted_application(store, settings, clock, [*staff(3), OUTSIDER])

    result = schedule(deps, app_id, days=2, variant="subtle")

    # The outsider has not confirmed by their own link: no message for them, and they are listed.
    assert sorted(m.email for m in result.messages) == staff(3)
    assert result.refused == (OUTSIDER,)
    assert result.template == "11-subtle"
    for message in result.messages:
        local = message.send_at.astimezone(JST)
        assert is_business_day(local.date()) and 9 <= local.hour < 17
    stored = store.query(MESSAGE, where={"application_id": app_id})
    assert len(stored) == 3 and {r.data["state"] for r in stored} == {"scheduled"}
    drill = store.get(DRILL, app_id)
    assert drill is not None and drill.data["refused"] == [OUTSIDER]


def test_a_participant_confirmed_by_their_own_link_is_scheduled(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps
) -> None:
    app_id = accepted_application(store, settings, clock, [staff(1)[0], OUTSIDER], confirm=[OUTSIDER])
    result = schedule(deps, app_id)
    assert sorted(m.email for m in result.messages) == sorted([staff(1)[0], OUTSIDER])
    assert result.refused == ()


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        ("unknown", "not_found"),
        ("pending", "not_accepted"),
        ("nobody_confirmed", "no_participants"),
        ("twice", "already_scheduled"),
    ],
)
def test_schedule_refuses(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps, setup: str, code: str
) -> None:
    if setup == "unknown":
        app_id = "0" * 32
    elif setup == "pending":
        app_id = accepted_application(store, settings, clock, staff(2), officer_confirms=False)
    elif setup == "nobody_confirmed":
        app_id = accepted_application(store, settings, clock, [OUTSIDER])
    else:
        app_id = accepted_application(store, settings, clock, staff(2))
        schedule(deps, app_id)
    with pytest.raises(ScheduleError) as caught:
        schedule(deps, app_id)
    assert caught.value.code == code
    # Nothing but the first schedule is stored.
    assert len(store.query(MESSAGE)) == (2 if setup == "twice" else 0)


def test_send_due_twice_sends_exactly_one_mail_per_participant(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps, smtp: FaultySMTPServer
) -> None:
    app_id = accepted_application(store, settings, clock, [*staff(4), OUTSIDER])
    result = schedule(deps, app_id, days=1)

    # Nothing is due before the first send time.
    first = min(m.send_at for m in result.messages)
    clock.current = first - timedelta(seconds=1)
    assert send_due(deps).count("sent") == 0
    assert smtp.received == []

    clock.current = first
    assert send_due(deps).count("sent") == 1
    after_window(clock)
    assert send_due(deps).count("sent") == 3
    again = send_due(deps)
    assert again.outcomes == []

    assert smtp.recipients() == staff(4)
    mail = smtp.received[0].message
    html = mail.get_body(("html",))
    assert html is not None
    body = html.get_content()
    assert "http://drill.test/t/o/" in body and "http://drill.test/t/c/" in body
    records = store.query(MESSAGE, where={"application_id": app_id})
    assert {r.data["state"] for r in records} == {"sent"}
    assert {r.data["message_id"] for r in records} == {str(m.message["Message-ID"]) for m in smtp.received}


def test_relay_hanging_up_mid_run_loses_nothing_and_duplicates_nothing(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps, smtp: FaultySMTPServer
) -> None:
    scheduled_and_due(store, settings, clock, deps, staff(6))
    smtp.handler.hang_up_after = 2

    first = send_due(deps)
    assert first.count("sent") == 2 and first.count("retry") == 4
    assert len(smtp.received) == 2

    # The relay is back; the retries wait for their backoff first.
    smtp.handler.hang_up = False
    smtp.handler.hang_up_after = None
    assert send_due(deps).outcomes == []
    clock.advance(deps.backoff)
    second = send_due(deps)
    assert second.count("sent") == 4

    assert Counter(smtp.recipients()) == Counter(staff(6))  # each exactly once
    assert {r.data["state"] for r in store.query(MESSAGE)} == {"sent"}


def test_transient_refusal_is_retried_with_exponential_backoff(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps, smtp: FaultySMTPServer
) -> None:
    busy = f"busy@{OFFICER_DOMAIN}"
    scheduled_and_due(store, settings, clock, deps, [busy])
    smtp.handler.defer[busy] = 2

    assert send_due(deps).count("retry") == 1
    (record,) = store.query(MESSAGE)
    assert "451" in record.data["last_error"]
    assert parse_iso(record.data["next_attempt_at"]) == clock.now() + timedelta(seconds=60)

    clock.advance(timedelta(seconds=60))
    assert send_due(deps).count("retry") == 1
    (record,) = store.query(MESSAGE)
    assert parse_iso(record.data["next_attempt_at"]) == clock.now() + timedelta(seconds=120)

    clock.advance(timedelta(seconds=119))
    assert send_due(deps).outcomes == []
    clock.advance(timedelta(seconds=1))
    assert send_due(deps).count("sent") == 1
    assert smtp.recipients() == [busy]
    (record,) = store.query(MESSAGE)
    assert record.data["attempts"] == 3


def test_permanent_refusal_is_recorded_and_not_retried(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps, smtp: FaultySMTPServer
) -> None:
    gone = f"reject-gone@{OFFICER_DOMAIN}"
    scheduled_and_due(store, settings, clock, deps, [gone, staff(1)[0]])

    summary = send_due(deps)
    assert summary.count("failed") == 1 and summary.count("sent") == 1
    failed = [r for r in store.query(MESSAGE) if r.data["email"] == gone]
    assert failed[0].data["state"] == "failed" and "550" in failed[0].data["last_error"]
    clock.advance(timedelta(days=1))
    assert send_due(deps).outcomes == []
    assert smtp.recipients() == staff(1)


def test_too_many_transient_failures_end_as_failed(
    store: Store,
    settings: Settings,
    clock: FixedClock,
    make_deps: Callable[..., Deps],
    smtp: FaultySMTPServer,
) -> None:
    deps = make_deps(max_attempts=2)
    busy = f"busy@{OFFICER_DOMAIN}"
    scheduled_and_due(store, settings, clock, deps, [busy])
    smtp.handler.defer[busy] = 5
    assert send_due(deps).count("retry") == 1
    clock.advance(timedelta(hours=1))
    assert send_due(deps).count("failed") == 1
    (record,) = store.query(MESSAGE)
    assert record.data["state"] == "failed" and record.data["last_error"].startswith("gave up")


def test_rate_limit_spaces_sends(
    store: Store,
    settings: Settings,
    clock: FixedClock,
    make_deps: Callable[..., Deps],
    smtp: FaultySMTPServer,
    pacing: PacingTime,
) -> None:
    deps = make_deps(rate=2.0)
    scheduled_and_due(store, settings, clock, deps, staff(5))
    start = pacing.now
    assert send_due(deps).count("sent") == 5
    # Five sends at 2 per second: four waits of half a second (the first goes at once).
    assert pacing.now - start == pytest.approx(2.0)
    assert len(pacing.sleeps) == 4


def test_two_runners_at_once_send_each_mail_once(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps, smtp: FaultySMTPServer
) -> None:
    scheduled_and_due(store, settings, clock, deps, staff(8))
    barrier = threading.Barrier(3)
    summaries = []

    def run() -> None:
        barrier.wait()
        summaries.append(send_due(deps))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(s.count("sent") for s in summaries) == 8
    assert Counter(smtp.recipients()) == Counter(staff(8))


def test_a_crashed_claim_is_retried_once_its_lease_expires(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps, smtp: FaultySMTPServer
) -> None:
    scheduled_and_due(store, settings, clock, deps, staff(1))
    (record,) = store.query(MESSAGE)
    # A runner claimed the message and died before sending.
    lease_until = (clock.now() + deps.lease).isoformat()
    claim = {"state": "sending", "lease_until": lease_until, "claimed_by": "dead", "attempts": 1}
    assert store.update(MESSAGE, record.key, claim, expect_version=record.version)

    assert send_due(deps).outcomes == []  # still leased: another runner may be sending it
    clock.advance(deps.lease)
    assert send_due(deps).count("sent") == 1
    assert smtp.recipients() == staff(1)


def test_confirmed_oneshot_gets_its_sample_mail_in_the_same_run(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps, smtp: FaultySMTPServer
) -> None:
    address = f"sample@{OFFICER_DOMAIN}"
    confirmed_oneshot(store, settings, clock, address)

    summary = send_due(deps)
    assert summary.queued_oneshots == 1 and summary.count("sent") == 1
    assert send_due(deps).outcomes == []
    # The sample, then (from the campaign's address) the link to its status page; each once.
    sample, status = (m.message for m in smtp.received)
    assert smtp.recipients() == [address, address]
    html = sample.get_body(("html",))
    assert html is not None and "http://drill.test/t/o/" in html.get_content()
    text = status.get_body(("plain",))
    assert text is not None and "http://drill.test/t/oneshot/" in text.get_content()
    (request,) = store.query(ONESHOT)
    assert request.data["send_status"] == "sent" and request.data["status_mailed"] is True


def test_dry_run_lists_due_mail_and_sends_nothing(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps, smtp: FaultySMTPServer
) -> None:
    scheduled_and_due(store, settings, clock, deps, staff(2))
    summary = send_due(deps, dry_run=True)
    assert summary.count("due") == 2
    assert smtp.received == []
    assert {r.data["state"] for r in store.query(MESSAGE)} == {"scheduled"}


def test_a_participant_who_confirms_after_scheduling_is_added_once(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps, smtp: FaultySMTPServer
) -> None:
    app_id = accepted_application(store, settings, clock, [*staff(2), OUTSIDER])
    first = schedule(deps, app_id, days=1)
    assert first.refused == (OUTSIDER,)
    with pytest.raises(ScheduleError) as nothing:
        schedule_late(deps, app_id)
    assert nothing.value.code == "nothing_new"

    # The outsider confirms by their own link two days later; staff add them.
    clock.advance(timedelta(days=2))
    confirm_participant(store, settings, clock, app_id, OUTSIDER)
    late = schedule_late(deps, app_id)
    assert [m.email for m in late.messages] == [OUTSIDER] and late.template == first.template
    with pytest.raises(ScheduleError):
        schedule_late(deps, app_id)
    drill = store.get(DRILL, app_id)
    assert drill is not None and drill.data["refused"] == [] and len(drill.data["messages"]) == 3

    after_window(clock)
    assert send_due(deps).count("sent") == 3
    assert Counter(smtp.recipients()) == Counter([*staff(2), OUTSIDER])
