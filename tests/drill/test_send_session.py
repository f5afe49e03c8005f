"""One SMTP connection for a send-due run, and drill mail that arrives as the message
`build_message` composes. A real aiosmtpd server that records which connection each mail came
over, and what came."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from campaign_core.clock import FixedClock
from campaign_core.deps import Deps
from campaign_core.mail.smtp import SMTPMailer
from campaign_core.records import MESSAGE
from campaign_core.settings import Settings
from campaign_core.store import Store
from drill_sender.services.send import send_due
from drill_sender.templates import MONTHS, VARIANTS
from tests.support.drill import PacingTime, scheduled_and_due, staff
from tests.support.mail_catalogue import drill_messages
from tests.support.servers import FaultyHandler, FaultySMTPServer

NOW = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def relay(smtp: FaultySMTPServer) -> tuple[FaultyHandler, int]:
    """The session's SMTP server, which notes the client's address of every mail (`peers`) and can
    hang up after the n-th (`close_after`)."""
    return smtp.handler, smtp.port


def _deps_with(deps: Deps, port: int) -> Deps:
    return Deps(
        store=deps.store,
        mailer=SMTPMailer("127.0.0.1", port, timeout=10),
        clock=deps.clock,
        settings=deps.settings,
        monotonic=deps.monotonic,
        sleep=deps.sleep,
    )


def test_a_run_sends_every_mail_over_one_connection(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps, relay: tuple[FaultyHandler, int]
) -> None:
    handler, port = relay
    scheduled_and_due(store, settings, clock, deps, staff(5))
    assert send_due(_deps_with(deps, port)).count("sent") == 5
    assert len(handler.peers) == 5
    assert len(set(handler.peers)) == 1


def test_a_relay_that_hangs_up_between_mails_gets_a_new_connection_and_no_mail_waits(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps, relay: tuple[FaultyHandler, int]
) -> None:
    handler, port = relay
    handler.close_after = 2
    scheduled_and_due(store, settings, clock, deps, staff(5))
    sending = _deps_with(deps, port)
    mailer = sending.mailer
    assert isinstance(mailer, SMTPMailer)
    with mailer.session():  # the run's own session nests in this one and keeps its connection
        first = send_due(sending, stop=lambda: len(handler.peers) >= 2)
        assert first.count("sent") == 2
        threading.Event().wait(0.3)  # the relay hangs up while we are idle
        second = send_due(sending)
    assert second.count("sent") == 3 and second.count("retry") == 0
    assert len(handler.peers) == 5
    assert len(set(handler.peers[:2])) == 1 and len(set(handler.peers[2:])) == 1
    assert handler.peers[1] != handler.peers[2]


def _parsed(data: bytes) -> EmailMessage:
    parsed = message_from_bytes(data, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("email", "company"),
    [("taro.yamada+drill@example.co.jp", "株式会社A&B <試験>"), ("x@a.example", "")],
)
def test_every_drill_template_arrives_as_build_message_composes_it(
    deps: Deps, relay: tuple[FaultyHandler, int], email: str, company: str
) -> None:
    handler, port = relay
    mailer = SMTPMailer("127.0.0.1", port, timeout=10)
    sent: list[EmailMessage] = []
    with mailer.session():
        for data, message in drill_messages(deps, "drill", email=email, company=company, now=NOW):
            assert mailer.send(message) == data["message_id"]
            sent.append(message)
    mails = [(m.mail_from, m.rcpt_tos, m.raw) for m in handler.received]
    assert len(mails) == len(sent) == len(MONTHS) * len(VARIANTS)
    for reference, (mail_from, rcpt_tos, raw) in zip(sent, mails, strict=True):
        assert mail_from == reference["From"].addresses[0].addr_spec
        assert mail_from.endswith(f"@{deps.drill_domain}")
        assert rcpt_tos == [email]
        assert raw.isascii() and b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
        arrived = _parsed(raw)
        assert [k for k, _ in arrived.items()] == [k for k, _ in reference.items()]
        for name in ("Subject", "From", "To", "Date", "Message-ID", "MIME-Version"):
            assert str(arrived[name]) == str(reference[name]), name
        assert arrived.get_content_type() == "multipart/alternative"
        arrived_parts = [(p.get_content_type(), p.get_content()) for p in arrived.iter_parts()]
        reference_parts = [(p.get_content_type(), p.get_content()) for p in reference.iter_parts()]
        assert arrived_parts == reference_parts
        # Byte for byte what the message flattens to with CRLF, but for the boundary picked at random.
        expected = reference.as_bytes(policy=reference.policy.clone(linesep="\r\n"))
        arrived_boundary, expected_boundary = arrived.get_boundary(), _parsed(expected).get_boundary()
        assert arrived_boundary and expected_boundary
        assert raw.replace(arrived_boundary.encode(), expected_boundary.encode()) == expected


def test_a_stopped_run_hands_back_what_it_claimed_but_did_not_send(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps, smtp: FaultySMTPServer
) -> None:
    scheduled_and_due(store, settings, clock, deps, staff(5))
    first = send_due(deps, stop=lambda: len(smtp.received) >= 2)  # all five claimed in one write
    assert first.count("sent") == 2 and len(first.outcomes) == 2
    unsent = [r for r in store.query(MESSAGE) if r.data["state"] != "sent"]
    assert len(unsent) == 3
    assert all(r.data["state"] == "scheduled" and r.data["attempts"] == 0 for r in unsent)
    assert all(r.data["lease_until"] is None and r.data["claimed_by"] is None for r in unsent)
    assert send_due(deps).count("sent") == 3  # due again at once, not after a lease
    assert Counter(smtp.recipients()) == Counter(staff(5))


def test_a_batch_held_past_half_its_lease_renews_each_lease_before_sending(
    store: Store,
    settings: Settings,
    clock: FixedClock,
    deps: Deps,
    smtp: FaultySMTPServer,
    pacing: PacingTime,
) -> None:
    scheduled_and_due(store, settings, clock, deps, staff(3))
    before = {r.key: r.version for r in store.query(MESSAGE)}

    def slow_relay() -> bool:  # after the first, each send takes 400 s of a 600 s lease
        if smtp.received:
            pacing.now += 400
        return False

    summary = send_due(deps, stop=slow_relay)
    assert summary.count("sent") == 3
    after = {r.key: r.version for r in store.query(MESSAGE)}
    # Claim and mark: two writes; the two sent after the lease was half gone were renewed first.
    assert sorted(after[key] - before[key] for key in before) == [2, 3, 3]
    assert {r.data["attempts"] for r in store.query(MESSAGE)} == {1}
    assert Counter(smtp.recipients()) == Counter(staff(3))
