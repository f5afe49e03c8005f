"""What the seminar and one-shot forms store reads as the typed records
(`campaign_core.form_records`) and writes back unchanged, on both stores: recorded and live
signups (pending, with a seat, past the capacity), members and not, and a one-shot request."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from campaign_core.form_records import OneshotRequest, SeminarSignup
from campaign_core.store import Store
from tests.support.forms import (
    ONESHOT_FORM,
    SEMINAR_FORM,
    Outbox,
    confirm_signup,
    dynamodb_store,
    post_form,
    set_session,
    sign_up,
)
from tests.support.records import declares_every_field

LIVE = "live-2026-12"

pytestmark = pytest.mark.both_stores


@pytest.fixture
def live_app(
    make_app: Callable[..., Flask], content_dir: Path, store_backend: str, request: pytest.FixtureRequest
) -> Flask:
    """The forms app with a live session of one seat."""
    set_session(content_dir, LIVE, capacity=1)
    if store_backend == "dynamodb":
        return make_app(store=dynamodb_store(request.getfixturevalue("moto")))
    return make_app()


def _signups(store: Store) -> dict[str, SeminarSignup]:
    return {s.email: s for s in map(SeminarSignup.from_record, store.query(SeminarSignup.KIND))}


def test_signups_and_requests_the_forms_write_are_declared_and_round_trip(live_app: Flask) -> None:
    client = live_app.test_client()
    store: Store = live_app.extensions["campaign_store"]
    outbox = Outbox(live_app.config["CAMPAIGN_SETTINGS"].outbox_dir)
    assert sign_up(client)[0] == 200  # recorded, a member
    assert sign_up(client, email="hanako@corp.example.jp", member="non_member")[0] == 200
    for n in range(3):  # live: pending until confirmed
        assert sign_up(client, session_id=LIVE, email=f"p{n}@corp.example.jp")[0] == 200
    declares_every_field(store, SeminarSignup)  # as first stored
    for n in range(2):  # the first takes the one seat, the second is past the capacity
        [ask] = outbox.to(f"p{n}@corp.example.jp")
        assert "セミナーのお申し込みを受け付けました" in confirm_signup(client, ask)
    assert post_form(client, "/api/oneshot", ONESHOT_FORM)[0] == 200
    signups = {s.email: s for s in declares_every_field(store, SeminarSignup)}
    declares_every_field(
        store, OneshotRequest
    )  # as asked (tests/drill/test_form_records_written.py: the rest)

    recorded, offered = signups[SEMINAR_FORM["email"]], signups["hanako@corp.example.jp"]
    assert (recorded.channel, recorded.status, recorded.membership_offered_at) == ("recorded", "", None)
    assert recorded.chamber == {"code": "sapporo", "name": "札幌商工会議所"} and recorded.expires_at is None
    assert offered.membership_offered_at == offered.signed_up_at is not None
    seated, overflow, pending = (signups[f"p{n}@corp.example.jp"] for n in range(3))
    assert (seated.status, seated.channel, seated.seat) == ("confirmed", "zoom", 1)
    assert (overflow.status, overflow.channel, overflow.seat) == ("confirmed", "youtube", None)
    assert seated.confirmed_at is not None and seated.expires_at is None
    assert (pending.status, pending.channel, pending.confirmed_at) == ("pending", None, None)
    assert pending.expires_at is not None  # an unconfirmed live signup expires
    assert all(s.purge_at == s.signed_up_at for s in signups.values())  # in the purge index
    assert _signups(store) == signups
