"""After the drill: the reveal mail a week after the last drill mail, then a follow-up learning mail,
sent once each through the same engine, only for drills whose officer asked for them."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from campaign_core.clock import JST, FixedClock, parse_iso
from campaign_core.deps import Deps
from campaign_core.records import MESSAGE, NOTICE
from campaign_core.settings import Settings
from campaign_core.store import Store
from drill_sender.services.checksheet import record_forwarded
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
    assert "http://drill.test/learn/11-obvious/" in not_thanked
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
    app_id = accepted_application(store, settings, clock, staff(2), reveal_followup="off")
    schedule(deps, app_id, days=1)
    clock.advance(timedelta(days=1))
    assert send_due(deps).count("sent") == 2
    clock.advance(timedelta(days=40))
    assert send_due(deps).outcomes == []
    assert store.query(NOTICE) == []
    assert len(smtp.received) == 2
