"""The typed form records (`campaign_core.form_records`): each kind's own rules (what every record
class shares is in `test_stored_records.py`)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest

from campaign_core.form_records import DrillApplication, OneshotRequest, Participant, SeminarSignup
from campaign_core.records import SIGNUP, mailable_participants, oneshot_due_at
from campaign_core.store import Store
from tests.support.records import APPLICATION_FULL, AT


def test_a_new_request_leaves_out_what_comes_later() -> None:
    asked = OneshotRequest(key="K", status="pending", email="a@example.jp", requested_at=AT)
    assert set(asked.to_item()) == {"status", "email", "company", "consent", "requested_at"}


@pytest.mark.parametrize(
    ("changes", "due"),
    [
        ({}, None),  # pending
        ({"status": "confirmed", "send_status": "waiting", "confirmed_at": AT}, AT),
        ({"status": "confirmed", "send_status": "waiting"}, datetime(1970, 1, 1, tzinfo=UTC)),
        ({"status": "confirmed", "send_status": "queued", "confirmed_at": AT}, None),
        ({"status": "pending", "send_status": "waiting", "confirmed_at": AT}, None),
    ],
)
def test_a_request_is_due_from_its_confirmation_until_it_is_queued(
    changes: dict[str, Any], due: datetime | None
) -> None:
    request = dataclasses.replace(OneshotRequest(key="K", status="pending"), **changes)
    assert request.wanted_due_at() == due
    raw = oneshot_due_at(request.to_item())  # the same rule as the store's migration applies
    assert (raw and datetime.fromisoformat(raw)) == (due or None)


def test_a_seat_is_read_as_a_number_on_both_stores(store: Store) -> None:
    # DynamoDB gives numbers back as Decimal.
    assert store.put_new(SIGNUP, "K-1", {"seat": 3, "channel": "zoom"})
    stored = store.get(SIGNUP, "K-1")
    assert stored is not None
    seat = SeminarSignup.from_record(stored).seat
    assert seat == 3 and type(seat) is int
    assert SeminarSignup.from_item("K-2", {"seat": None, "channel": None}).seat is None


@pytest.mark.parametrize("status", ["accepted", "pending"])
def test_drill_mail_goes_to_trusted_and_confirmed_participants_once_accepted(status: str) -> None:
    waiting = Participant(email="saburo@example.org", status="unconfirmed")
    forgotten = Participant(email="", status="forgotten")
    application = dataclasses.replace(
        APPLICATION_FULL, status=status, participants=(*APPLICATION_FULL.participants, waiting, forgotten)
    )
    mailable = ["taro@example.co.jp", "jiro@example.net"] if status == "accepted" else []
    assert application.mailable() == mailable
    assert mailable_participants(application.to_item()) == mailable  # one rule for the dict form


def test_a_participant_keeps_fields_it_does_not_know() -> None:
    item = {"status": "accepted", "participants": [{"email": "a@example.jp", "status": "domain", "note": 1}]}
    application = DrillApplication.from_item("A-1", item)
    [participant] = application.participants
    assert participant == Participant(email="a@example.jp", status="domain", extra={"note": 1})
    assert application.to_item()["participants"] == item["participants"]
