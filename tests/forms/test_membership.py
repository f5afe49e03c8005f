"""The way to membership on the forms' side: the once-per-office refusal, the acceptance mail and the
seminar reply offer it (non-members only), with the text and URL of `content/membership.yml`, and
stamp the record so HQ's leads know the offer was made."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from campaign_core.membership import membership
from campaign_core.settings import PROJECT_ROOT
from campaign_core.store import Store
from tests.support.forms import DRILL_FORM, SEMINAR_FORM, Outbox, confirm_officer, html_of, text_of

OFFER = membership(PROJECT_ROOT / "content")
PAGE_URL = f"http://127.0.0.1:8000/{OFFER.path}"


pytestmark = pytest.mark.both_stores  # every test of this module runs on both store adapters


def test_the_refusal_for_an_office_already_drilled_offers_membership(forms_client: FlaskClient) -> None:
    forms_client.post("/api/drill", data=DRILL_FORM)
    # The same office, written another way: a room number and the name in hiragana.
    again = {**DRILL_FORM, "company": "株式会社てすと", "address": DRILL_FORM["address"] + "-501"}
    response = forms_client.post("/api/drill", data=again)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert OFFER.heading in page and OFFER.refusal.split("。")[0] in page
    assert f'href="/{OFFER.path}"' in page


@pytest.mark.parametrize(("member", "offered"), [("non_member", True), ("unknown", True), ("member", False)])
def test_the_acceptance_mail_offers_membership_to_non_members_only(
    forms_client: FlaskClient, store: Store, outbox: Outbox, member: str, offered: bool
) -> None:
    forms_client.post("/api/drill", data={**DRILL_FORM, "member": member})
    confirm_officer(forms_client, outbox)
    accepted = outbox.to(DRILL_FORM["officer_email"])[-1]
    assert (PAGE_URL in text_of(accepted)) is offered
    assert (PAGE_URL in html_of(accepted)) is offered
    assert (OFFER.heading in text_of(accepted)) is offered
    [application] = store.query("application")
    assert ("membership_offered_at" in application.data) is offered


@pytest.mark.parametrize(("member", "offered"), [("non_member", True), ("unknown", True), ("member", False)])
def test_the_seminar_reply_offers_membership_to_non_members_only(
    forms_client: FlaskClient, store: Store, outbox: Outbox, member: str, offered: bool
) -> None:
    forms_client.post("/api/seminar", data={**SEMINAR_FORM, "member": member})
    [reply] = outbox.messages()
    assert (PAGE_URL in text_of(reply)) is offered
    assert (OFFER.offer in text_of(reply)) is offered
    [signup] = store.query("seminar_signup")
    assert ("membership_offered_at" in signup.data) is offered
