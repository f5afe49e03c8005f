"""Failures that stop and failures that are recorded, never silent (issue 10): an account-level
error (the relay unreachable, SES refusing an unverified sender) ends the run and leaves every
message scheduled; a refusal for one recipient marks only that message failed; each logs one JSON
line for the alarms; staff put a message that failed by mistake back with `campaign requeue`; the
suppression list holds on the staff command's path and on the local server's."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import boto3
import pytest

from campaign_core.clock import FixedClock
from campaign_core.deps import Deps
from campaign_core.mail.ses import SESMailer
from campaign_core.mail.smtp import SMTPMailer
from campaign_core.mail.suppression import suppress
from campaign_core.records import MESSAGE, ONESHOT
from campaign_core.settings import Settings
from campaign_core.store import Store
from drill_sender.services.send import send_due
from local.serve import create_local_app
from tests.support.drill import (
    OFFICER_DOMAIN,
    Run,
    accepted_application,
    confirmed_oneshot,
    scheduled_and_due,
    staff,
)
from tests.support.servers import (
    MOTO_CREDENTIALS,
    MOTO_REGION,
    FaultySMTPServer,
    MotoServer,
    SMTPServer,
    free_port,
)


def _lines(text: str, event: str) -> list[dict[str, Any]]:
    found = []
    for line in text.splitlines():
        if line.startswith("{"):
            data = json.loads(line)
            if data.get("event") == event:
                found.append(data)
    return found


def _with_mailer(deps: Deps, mailer: Any) -> Deps:
    return replace(deps, mailer=mailer)


def _states(store: Store) -> Counter[str]:
    return Counter(str(r.data["state"]) for r in store.query(MESSAGE))


def test_an_unreachable_relay_stops_the_run_and_leaves_every_message_scheduled(
    store: Store,
    settings: Settings,
    clock: FixedClock,
    deps: Deps,
    smtp: FaultySMTPServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    scheduled_and_due(store, settings, clock, deps, staff(4))
    down = _with_mailer(deps, SMTPMailer("127.0.0.1", free_port(), timeout=2))  # nothing listens

    summary = send_due(down)
    # One try, then the run stops: the other three were never tried, none counts an attempt.
    assert summary.stopped == "relay_unreachable"
    assert [o.result for o in summary.outcomes] == ["stopped"]
    assert _states(store) == Counter({"scheduled": 4})
    assert {r.data["attempts"] for r in store.query(MESSAGE)} == {0}
    assert {r.data["claimed_by"] for r in store.query(MESSAGE)} == {None}
    (stopped,) = _lines(capsys.readouterr().err, "send_stopped")
    assert stopped["left_scheduled"] == 4 and "relay_unreachable" in stopped["reason"]

    # The relay is back: the next run sends all four at once, no backoff to wait for.
    assert send_due(deps).count("sent") == 4
    assert Counter(smtp.recipients()) == Counter(staff(4))


def test_a_relay_that_goes_away_mid_run_stops_it_and_hands_back_the_batch(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps
) -> None:
    scheduled_and_due(store, settings, clock, deps, staff(5))
    relay = SMTPServer()
    relay.start()
    running = [True]
    sending = _with_mailer(deps, relay.mailer())

    def relay_dies_after_two() -> bool:  # asked before each send
        if running[0] and len(relay.received) >= 2:
            relay.stop()
            running[0] = False
        return False

    try:
        summary = send_due(sending, stop=relay_dies_after_two)  # five claimed in one write
    finally:
        if running[0]:
            relay.stop()
    assert summary.count("sent") == 2 and summary.count("stopped") == 1
    assert summary.stopped == "relay_unreachable"
    assert _states(store) == Counter({"sent": 2, "scheduled": 3})
    unsent = [r for r in store.query(MESSAGE) if r.data["state"] == "scheduled"]
    assert all(r.data["attempts"] == 0 and r.data["lease_until"] is None for r in unsent)
    assert send_due(deps).count("sent") == 3


def _ses(moto: MotoServer) -> SESMailer:
    return SESMailer(endpoint_url=moto.endpoint, region_name=MOTO_REGION, max_attempts=1)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_ses_refusing_an_unverified_sender_stops_the_run_until_it_is_verified(
    store: Store,
    settings: Settings,
    clock: FixedClock,
    deps: Deps,
    moto_server: MotoServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        monkeypatch.setenv(name, value)
    moto_server.reset()
    scheduled_and_due(store, settings, clock, deps, staff(3))
    via_ses = _with_mailer(deps, _ses(moto_server))

    summary = send_due(via_ses)
    assert summary.stopped == "identity_not_verified"
    assert _states(store) == Counter({"scheduled": 3})
    assert moto_server.sent_emails() == []
    assert _lines(capsys.readouterr().err, "send_stopped")

    # Staff verify the drill's sending domain; the next run sends everything.
    sesv2 = boto3.client("sesv2", endpoint_url=moto_server.endpoint, **MOTO_CREDENTIALS)
    sesv2.create_email_identity(EmailIdentity=deps.drill_domain)
    assert send_due(via_ses).count("sent") == 3
    assert len(moto_server.sent_emails()) == 3


def test_a_refusal_for_one_recipient_fails_that_message_only_and_logs_it_without_the_address(
    store: Store,
    settings: Settings,
    clock: FixedClock,
    deps: Deps,
    capsys: pytest.CaptureFixture[str],
) -> None:
    gone = f"reject-gone@{OFFICER_DOMAIN}"
    scheduled_and_due(store, settings, clock, deps, [gone, *staff(2)])

    summary = send_due(deps)
    assert summary.count("failed") == 1 and summary.count("sent") == 2 and not summary.stopped
    (failed,) = [r for r in store.query(MESSAGE) if r.data["state"] == "failed"]
    err = capsys.readouterr().err
    (line,) = _lines(err, "send_failed")
    assert line["message"] == failed.key and "550" in line["reason"]
    assert gone not in err and "<address>" in line["reason"]
    assert _lines(err, "send_stopped") == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_requeue_puts_back_only_failed_messages_and_they_go_in_the_next_run(
    run: Run, store: Store, settings: Settings, clock: FixedClock, smtp: FaultySMTPServer
) -> None:
    busy = f"busy@{OFFICER_DOMAIN}"
    app_id = accepted_application(store, settings, clock, [busy, *staff(1)])
    assert run("schedule", app_id, "--days", "1", "--no-mail").exit_code == 0
    later = (clock.now() + timedelta(days=2)).isoformat()
    smtp.handler.defer[busy] = 1
    # One attempt allowed: the mailbox that was busy for a moment ends as failed.
    first = run("send-due", now=later, CAMPAIGN_SEND_MAX_ATTEMPTS="1")
    assert first.exit_code == 1
    assert _lines(first.stderr, "send_failed")
    failed_key = next(r.key for r in store.query(MESSAGE) if r.data["state"] == "failed")
    sent_key = next(r.key for r in store.query(MESSAGE) if r.data["state"] == "sent")

    # Asking for the sent one changes nothing; the application's failed one goes back.
    kept = run("requeue", "--message", sent_key, now=later)
    assert kept.exit_code == 0 and "失敗していない" in kept.output
    back = run("requeue", app_id, "--json", now=later)
    assert back.exit_code == 0
    assert json.loads(back.stdout) == {"requeued": [failed_key], "not_failed": [], "unknown": []}
    record = store.get(MESSAGE, failed_key)
    assert record is not None and record.data["state"] == "scheduled" and record.data["attempts"] == 0
    assert "451" in record.data["previous_error"]

    again = run("send-due", now=later, CAMPAIGN_SEND_MAX_ATTEMPTS="1")
    assert again.exit_code == 0
    assert Counter(smtp.recipients()) == Counter([busy, *staff(1)])  # each exactly once
    assert run("requeue", "--message", "nope", now=later).exit_code == 1
    assert run("requeue", now=later).exit_code == 2


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_requeue_of_a_failed_oneshot_sets_its_status_page_back_to_queued(
    run: Run, store: Store, settings: Settings, clock: FixedClock, deps: Deps, smtp: FaultySMTPServer
) -> None:
    address = f"reject-sample@{OFFICER_DOMAIN}"
    confirmed_oneshot(store, settings, clock, address)
    assert send_due(deps).count("failed") == 1
    (request,) = store.query(ONESHOT)
    assert request.data["send_status"] == "failed"
    result = run("requeue", "--message", f"oneshot-{request.key}")
    assert result.exit_code == 0 and "1 通を戻しました" in result.output
    (request,) = store.query(ONESHOT)
    assert request.data["send_status"] == "queued"


def test_staff_send_due_never_mails_a_suppressed_address(
    run: Run, store: Store, settings: Settings, clock: FixedClock, smtp: FaultySMTPServer
) -> None:
    bounced = staff(2)[1]
    app_id = accepted_application(store, settings, clock, staff(2))
    assert run("schedule", app_id, "--days", "1", "--no-mail").exit_code == 0
    suppress(store, bounced.upper(), reason="bounce", detail="Permanent/General", now=clock.now())

    result = run("send-due", now=(clock.now() + timedelta(days=2)).isoformat())
    assert result.exit_code == 1 and "suppressed" in result.output
    assert smtp.recipients() == [staff(2)[0]]
    assert _lines(result.stderr, "send_failed")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_local_server_never_mails_a_suppressed_address(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps, tmp_path: Path
) -> None:
    # The local server builds its mailer from settings (the outbox here), as `make run` does.
    app = create_local_app(settings)
    local = replace(deps, store=app.extensions["campaign_store"], mailer=app.extensions["campaign_mailer"])
    scheduled_and_due(local.store, settings, clock, local, staff(2))
    suppress(local.store, staff(2)[0], reason="complaint", detail="abuse", now=clock.now())

    summary = send_due(local)
    assert summary.count("sent") == 1 and summary.count("failed") == 1
    outbox = [
        message_from_bytes(p.read_bytes(), policy=policy.default) for p in settings.outbox_dir.glob("*.eml")
    ]
    recipients = Counter(str(m["To"]) for m in outbox)
    assert recipients[staff(2)[1]] == 1 and recipients[staff(2)[0]] == 0
