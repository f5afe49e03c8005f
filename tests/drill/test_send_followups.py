"""After the drill: the reveal mail a week after the last drill mail, then a follow-up learning mail,
sent once each through the same engine, only for drills whose officer asked for them."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest

from campaign_core.clock import JST, FixedClock, parse_iso
from campaign_core.deps import Deps
from campaign_core.records import MESSAGE, NOTICE
from campaign_core.settings import Settings
from campaign_core.store import Store
from drill_sender.services.checksheet import record_forwarded
from drill_sender.services.learn import load_learn_mail
from drill_sender.services.schedule import schedule
from drill_sender.services.send import send_due
from drill_sender.templates import load_template
from drill_sender.window import is_business_day
from tests.support.drill import accepted_application, staff
from tests.support.servers import FaultySMTPServer


def _text(smtp: FaultySMTPServer, address: str, subject_part: str) -> str:
    found = [
        m.message
        for m in smtp.received
        if m.rcpt_tos == [address] and subject_part in str(m.message["Subject"])
    ]
    assert len(found) == 1, f"{len(found)} mails to {address} with {subject_part!r}"
    body = found[0].get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def test_reveal_then_follow_up_go_out_once_each_and_thank_only_who_reported(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps, smtp: FaultySMTPServer
) -> None:
    people = staff(3)
    app_id = accepted_application(store, settings, clock, people)
    schedule(deps, app_id, days=1, month=11, variant="obvious")
    clock.advance(timedelta(days=1))
    assert send_due(deps).count("sent") == 3
    assert send_due(deps).planned_followups == 0  # planned once, in the run that sent the last mail
    notices = store.query(NOTICE, where={"application_id": app_id})
    assert Counter(n.data["purpose"] for n in notices) == {"reveal": 3, "followup": 3}
    last_sent = max(parse_iso(m.data["sent_at"]) for m in store.query(MESSAGE))
    for notice in notices:
        at = parse_iso(notice.data["send_at"]).astimezone(JST)
        assert is_business_day(at.date()) and 9 <= at.hour < 17
        if notice.data["purpose"] == "reveal":
            assert at - last_sent >= timedelta(days=6)  # about a week after
    keys = {m.data["email"]: m.key for m in store.query(MESSAGE)}
    assert record_forwarded(deps, keys[people[0]], clock.now())  # staff1 reported the drill mail

    clock.advance(timedelta(days=9))
    assert send_due(deps).count("sent") == 3  # the reveals
    assert send_due(deps).outcomes == []
    template = load_template(11, "obvious")
    thanked = _text(smtp, people[0], "種明かし")
    assert "訓練のメールでした" in thanked and "報告していただき、ありがとうございました" in thanked
    not_thanked = _text(smtp, people[1], "種明かし")
    assert "ありがとうございました" not in not_thanked
    for clue in template.clues:
        assert clue.text in not_thanked
    # The link opens the page of the very mail this person got (never a public page).
    link = re.search(r"http://drill\.test/t/learn/(\S+)", not_thanked)
    assert link and load_learn_mail(deps, link[1]).recipient_email == people[1]
    assert "/learn/11-" not in not_thanked
    assert "http://drill.test/membership/" in not_thanked  # for a drill every year: the association
    # Nobody is named: no participant's address appears in anyone's reveal.
    for address in people:
        assert not any(other in _text(smtp, address, "種明かし") for other in people)

    clock.advance(timedelta(days=8))
    assert send_due(deps).count("sent") == 3  # the follow-ups
    clock.advance(timedelta(days=30))
    assert send_due(deps).outcomes == []
    follow_up = _text(smtp, people[2], "おさらい")
    assert "http://drill.test/participants/spotting/" in follow_up
    assert Counter(address for m in smtp.received for address in m.rcpt_tos) == {p: 3 for p in people}


def test_no_reveal_when_the_officer_did_not_ask_for_it(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps, smtp: FaultySMTPServer
) -> None:
    app_id = accepted_application(store, settings, clock, staff(2), reveal="off", followup="off")
    schedule(deps, app_id, days=1)
    clock.advance(timedelta(days=1))
    assert send_due(deps).count("sent") == 2
    clock.advance(timedelta(days=40))
    assert send_due(deps).outcomes == []
    assert store.query(NOTICE) == []
    assert len(smtp.received) == 2


@pytest.mark.parametrize(
    ("reveal", "followup", "expected"),
    [
        ("on", "off", {"reveal": 2}),
        ("off", "on", {"followup": 2}),
        ("on", "on", {"reveal": 2, "followup": 2}),
    ],
)
def test_the_reveal_and_the_follow_up_are_two_choices(
    store: Store,
    settings: Settings,
    clock: FixedClock,
    deps: Deps,
    smtp: FaultySMTPServer,
    reveal: str,
    followup: str,
    expected: dict[str, int],
) -> None:
    app_id = accepted_application(store, settings, clock, staff(2), reveal=reveal, followup=followup)
    schedule(deps, app_id, days=1)
    clock.advance(timedelta(days=1))
    assert send_due(deps).count("sent") == 2
    notices = store.query(NOTICE, where={"application_id": app_id})
    assert Counter(n.data["purpose"] for n in notices) == expected
    for _ in range(4):  # a week at a time, past both days
        clock.advance(timedelta(days=8))
        send_due(deps)
    subjects = Counter(
        "種明かし" if "種明かし" in str(m.message["Subject"]) else "other" for m in smtp.received
    )
    assert subjects["種明かし"] == expected.get("reveal", 0)
    assert len(smtp.received) == 2 + sum(expected.values())


@pytest.mark.parametrize(
    ("chosen", "sent_variant"), [("subtle", "subtle"), ("obvious", "obvious"), ("auto", "obvious")]
)
def test_scheduling_sends_the_kind_of_mail_the_officer_chose(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps, chosen: str, sent_variant: str
) -> None:
    app_id = accepted_application(store, settings, clock, staff(1), variant=chosen)
    result = schedule(deps, app_id, days=1)
    assert result.template.endswith(f"-{sent_variant}")
    assert {m.data["variant"] for m in store.query(MESSAGE, where={"application_id": app_id})} == {
        sent_variant
    }
    # The window starts today, before the seminar date of the acceptance mail: staff are told.
    assert result.seminar_by is not None and result.before_seminar


def test_staff_may_still_pick_the_kind_of_mail_for_an_auto_application(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps
) -> None:
    app_id = accepted_application(store, settings, clock, staff(1), variant="auto")
    start = (clock.now() + timedelta(days=21)).astimezone(JST).date()
    result = schedule(deps, app_id, days=1, variant="subtle", start=start)
    assert result.template.endswith("-subtle") and not result.before_seminar
