"""What the drill's own writers store reads as the typed records (`campaign_core.drill_records`)
and writes back unchanged: drills (scheduled, planned, reported, held, counted), scheduled, sent,
failed and requeued drill mails, reveal and follow-up notices, tracking events (as recorded and as
settled) and check sheet lines; and the drill applications the drill form writes (applied,
accepted, a participant confirmed, scheduled, forgotten), on both stores."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask.testing import FlaskClient

from campaign_core.clock import FixedClock
from campaign_core.deps import Deps
from campaign_core.drill_records import Drill, DrillCheck, DrillEvent, DrillMessage, DrillNotice
from campaign_core.form_records import DrillApplication, Participant
from campaign_core.records import CHECK, DRILL, EVENT, MESSAGE, NOTICE
from campaign_core.settings import Settings
from campaign_core.store import Store
from drill_sender.services.checksheet import record_forwarded, save_sheet
from drill_sender.services.report_due import hold_report, scheduler_run
from drill_sender.services.requeue import requeue
from drill_sender.services.schedule import schedule
from drill_sender.services.send import due_messages, send_due
from hq.forget import forget
from hq.retention import Retention, purge
from tests.support.drill import (
    OFFICER_DOMAIN,
    SentDrill,
    accepted_application,
    confirm_participant,
    get,
    scheduled_drills,
    staff,
)
from tests.support.records import declares_every_field
from tests.support.servers import FaultySMTPServer


def _declares_every_field(store: Store, kind: str) -> None:
    """Every stored item of `kind` reads with nothing left over and writes back as it was."""
    classes = {DRILL: Drill, MESSAGE: DrillMessage, NOTICE: DrillNotice, CHECK: DrillCheck, EVENT: DrillEvent}
    declares_every_field(store, classes[kind])


def test_scheduled_sent_and_notice_items_are_declared_and_round_trip(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps, smtp: FaultySMTPServer
) -> None:
    people = staff(3)
    app_id = accepted_application(store, settings, clock, people)
    schedule(deps, app_id, days=1, month=11, variant="obvious")
    _declares_every_field(store, MESSAGE)  # as scheduled
    clock.advance(timedelta(days=1))
    assert [type(m) for m in due_messages(deps)] == [DrillMessage] * 3
    assert send_due(deps).count("sent") == 3
    _declares_every_field(store, MESSAGE)  # as sent
    _declares_every_field(store, NOTICE)  # reveal and follow-up, as planned
    clock.advance(timedelta(days=9))
    notices = due_messages(deps, NOTICE)
    assert {type(n) for n in notices} == {DrillNotice} and all(n.drill_message for n in notices)
    assert send_due(deps).count("sent") == 3  # the reveals, through the same engine
    _declares_every_field(store, NOTICE)


def test_failed_requeued_and_checked_items_are_declared_and_round_trip(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps, smtp: FaultySMTPServer
) -> None:
    people = [f"reject-gone@{OFFICER_DOMAIN}", *staff(1)]  # the relay refuses the first: 550
    app_id = accepted_application(store, settings, clock, people)
    schedule(deps, app_id, days=1)
    clock.advance(timedelta(days=1))
    summary = send_due(deps)
    assert (summary.count("sent"), summary.count("failed")) == (1, 1)
    failed = next(m for m in map(DrillMessage.from_record, store.query(MESSAGE)) if m.state == "failed")
    assert failed.failed_at == clock.now() and failed.last_error and failed.due_at is None
    assert requeue(deps, [failed.key]).requeued == [failed.key]
    _declares_every_field(store, MESSAGE)  # with failed_at, requeued_at and previous_error

    sent = next(m for m in map(DrillMessage.from_record, store.query(MESSAGE)) if m.state == "sent")
    assert record_forwarded(deps, sent.key, clock.now())
    _declares_every_field(store, CHECK)  # a forward, before the officer saw it
    form = {f"reported-{sent.key}": "yes", f"reported_at-{sent.key}": "2026-12-01 08:50"}
    assert save_sheet(deps, app_id, form) == {}
    _declares_every_field(store, CHECK)  # as the officer saved it


def test_recorded_and_settled_events_are_declared_and_round_trip(
    store: Store, clock: FixedClock, deps: Deps, client: FlaskClient, sent: Callable[..., SentDrill]
) -> None:
    drill = sent(count=2)
    first, second = staff(2)
    clock.advance(timedelta(minutes=30))
    assert get(client, drill.links[first][0]).status_code == 200  # an open
    assert get(client, drill.links[second][1][0]).status_code == 302  # a click, by a person
    for path in drill.links[second][1]:  # a scanner following every link
        get(client, path, agent="Mozilla/5.0 (compatible; Proofpoint scanner)", address="203.0.113.9")
    _declares_every_field(store, EVENT)  # as recorded, with the `purge_at` the store gave them
    events = [DrillEvent.from_record(r) for r in store.query(EVENT)]
    assert {e.type for e in events} == {"open", "click"} and all(e.purge_at == e.at for e in events)

    clock.advance(timedelta(days=91))
    assert purge(store, clock, Retention()).settled_events == len(events)
    _declares_every_field(store, EVENT)  # as settled: machine reasons kept, out of the purge index
    settled = [DrillEvent.from_record(r) for r in store.query(EVENT)]
    assert all(e.settled and e.purge_at is None for e in settled)
    assert any("agent" in e.machine_reasons for e in settled)


def test_drills_scheduled_planned_reported_held_and_counted_are_declared_and_round_trip(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps, smtp: FaultySMTPServer
) -> None:
    reported, held = scheduled_drills(store, settings, clock, deps, staff(2), staff(3)[2:])
    _declares_every_field(store, DRILL)  # as scheduled
    record = store.get(DRILL, reported)
    assert record is not None
    drill = Drill.from_record(record)
    assert drill.due_at == drill.window_start == drill.wanted_due_at() and drill.report_state == "waiting"
    assert len(drill.messages) == 2 and drill.refused == () and drill.counted is None
    assert drill.purge_at == drill.window_end  # the store put it in the purge index

    clock.advance(timedelta(hours=9))  # every drill mail is out, the window closed
    assert send_due(deps).count("sent") == 3
    assert hold_report(deps, held)
    _declares_every_field(store, DRILL)  # follow-ups planned; one report held
    clock.advance(timedelta(days=4))  # past the reporting period
    assert scheduler_run(deps).reports_sent == 1
    _declares_every_field(store, DRILL)  # reported, and counted in the campaign's figures
    drills = {d.key: d for d in map(Drill.from_record, store.query(DRILL))}
    done, kept = drills[reported], drills[held]
    assert (done.report_state, done.report_sent_by, done.report_sent_at) == ("sent", "scheduler", clock.now())
    assert done.followups_planned and done.counted and done.counted["sent"] == 2
    assert done.report_claimed_at == clock.now() and done.due_at is None is done.wanted_due_at()  # closed
    assert (kept.report_state, kept.report_held_at) == ("held", clock.now() - timedelta(days=4))


def _applications(store: Store) -> dict[str, DrillApplication]:
    return {a.key: a for a in declares_every_field(store, DrillApplication)}


def test_applications_the_drill_form_writes_are_declared_and_round_trip(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps
) -> None:
    officer, outside = f"taro@{OFFICER_DOMAIN}", "hanako@outside.example.org"
    pending = accepted_application(store, settings, clock, [officer], officer_confirms=False)
    applied = _applications(store)[pending]  # as applied: pending, with its office claims
    assert (applied.status, applied.applied_at, applied.accepted_at) == ("pending", clock.now(), None)
    assert applied.confirm_by is not None and applied.office_keys and applied.reveal is not None
    app_id = accepted_application(store, settings, clock, [officer, *staff(1), outside])
    accepted = _applications(store)[app_id]  # accepted, the membership offer made
    assert (accepted.status, accepted.accepted_at, accepted.membership_offered_at) == (
        "accepted",
        clock.now(),
        clock.now(),
    )
    assert [p.status for p in accepted.participants] == [
        "domain",
        "domain",
        "unconfirmed",
    ] and accepted.seminar_by
    assert accepted.mailable() == [officer, *staff(1)]

    clock.advance(timedelta(hours=1))
    confirm_participant(store, settings, clock, app_id, outside)
    confirmed = _applications(store)[app_id].participants[2]
    assert confirmed == Participant(email=outside, status="confirmed", confirmed_at=clock.now())
    schedule(deps, app_id, days=1)
    scheduled = _applications(store)[app_id]
    assert (scheduled.drill_status, scheduled.drill_scheduled_at) == ("scheduled", clock.now())

    forget(store, outside, outbox_dir=settings.outbox_dir)
    forget(store, officer, outbox_dir=settings.outbox_dir)
    forgotten = _applications(store)[app_id]
    assert (forgotten.officer_email, forgotten.officer_name, forgotten.officer_forgotten) == ("", "", True)
    assert forgotten.participants[2] == Participant(email="", status="forgotten")
    assert forgotten.participants[1] == accepted.participants[1]
