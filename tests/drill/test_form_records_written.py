"""What the one-shot flow stores reads as the typed request (`campaign_core.form_records`) and
writes back unchanged: asked, confirmed, queued, sent (with its status link mailed), failed and
requeued, on both stores."""

from __future__ import annotations

from campaign_core.clock import FixedClock, iso
from campaign_core.deps import Deps
from campaign_core.drill_records import DrillMessage
from campaign_core.form_records import OneshotRequest
from campaign_core.records import MESSAGE, ONESHOT
from campaign_core.settings import Settings
from campaign_core.store import Store
from drill_sender.services.requeue import requeue
from drill_sender.services.send import send_due
from form_lambda.services import oneshot as oneshot_forms
from form_lambda.validation import validate_oneshot
from tests.support.drill import ONESHOT_ADDRESS, confirmed_oneshot, form_deps
from tests.support.records import declares_every_field
from tests.support.servers import FaultySMTPServer

PENDING = "pending@test-corp.example.jp"
REFUSED = "reject-gone@test-corp.example.jp"  # the relay answers 550


def _requests(store: Store) -> dict[str, OneshotRequest]:
    return {r.email: r for r in map(OneshotRequest.from_record, store.query(ONESHOT))}


def test_oneshot_requests_in_every_state_are_declared_and_round_trip(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps, smtp: FaultySMTPServer
) -> None:
    cleaned, errors = validate_oneshot(
        {"email": PENDING, "company": "株式会社ワンショット", "consent": "yes"}
    )
    assert cleaned is not None, errors
    assert oneshot_forms.request(
        form_deps(store, settings, clock), cleaned, consent_version="test"
    ).status == ("pending")
    confirmed_oneshot(store, settings, clock, ONESHOT_ADDRESS)
    declares_every_field(store, OneshotRequest)  # as asked, and as confirmed
    pending, confirmed = _requests(store)[PENDING], _requests(store)[ONESHOT_ADDRESS]
    assert pending.expires_at is not None and pending.wanted_due_at() is None  # expires unconfirmed
    assert pending.consent == {"version": "test", "at": iso(clock.now())}
    assert confirmed.expires_at is None and confirmed.send_status == "waiting"
    assert confirmed.wanted_due_at() == confirmed.due_at == confirmed.confirmed_at == clock.now()
    assert confirmed.purge_at == confirmed.requested_at  # the store put it in the purge index

    assert send_due(deps).count("sent") == 1  # queued, then sent; the status link mailed
    declares_every_field(store, OneshotRequest)
    sent = _requests(store)[ONESHOT_ADDRESS]
    assert (sent.send_status, sent.status_mailed, sent.sent_at) == ("sent", True, clock.now())
    assert sent.message_key == f"oneshot-{sent.key}" and sent.due_at is None and sent.wanted_due_at() is None

    confirmed_oneshot(store, settings, clock, REFUSED)
    assert send_due(deps).count("failed") == 1
    declares_every_field(store, OneshotRequest)  # as failed
    failed = _requests(store)[REFUSED]
    assert failed.send_status == "failed"
    assert requeue(deps, [failed.message_key]).requeued == [failed.message_key]
    declares_every_field(store, OneshotRequest)  # queued again
    assert _requests(store)[REFUSED].send_status == "queued"
    message = store.get(MESSAGE, failed.message_key)
    assert message is not None and DrillMessage.from_record(message).purpose == "oneshot"
