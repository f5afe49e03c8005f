"""Maintenance switch, bots and abuse: honeypot, origin check, rate limits, body size; the small
JSON helpers of the form pages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from campaign_core.clock import FixedClock
from campaign_core.store import Store
from form_lambda.services.common import set_maintenance
from tests.support.forms import DRILL_FORM, ONESHOT_FORM, SEMINAR_FORM, Outbox

FORMS = [("/api/drill", DRILL_FORM), ("/api/seminar", SEMINAR_FORM), ("/api/oneshot", ONESHOT_FORM)]
KINDS = ("application", "office_claim", "seminar_signup", "seat_counter", "oneshot")


def stored(store: Store) -> int:
    return sum(len(store.query(kind)) for kind in KINDS)


@pytest.mark.parametrize(("path", "form"), FORMS)
def test_maintenance_setting_answers_503_and_stores_nothing(
    make_app: Callable[..., Flask], path: str, form: dict[str, str]
) -> None:
    app = make_app(maintenance="システムの点検のため、12月1日の朝まで受付を止めています。")
    client = app.test_client()
    response = client.post(path, data=form)
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "メンテナンス" in page and "12月1日の朝まで" in page
    assert 'value="株式会社テスト"' in page  # what was typed is not lost
    assert stored(app.extensions["campaign_store"]) == 0
    assert Outbox(app.config["CAMPAIGN_SETTINGS"].outbox_dir).messages() == []
    assert client.get("/api/status").get_json()["intake"] == "maintenance"


def test_store_switch_pauses_and_resumes_intake(
    forms_client: FlaskClient, store: Store, clock: FixedClock
) -> None:
    assert forms_client.get("/api/status").get_json() == {"intake": "open", "message": ""}
    set_maintenance(store, clock, on=True, message="点検中です。")
    assert forms_client.get("/api/status").get_json() == {"intake": "maintenance", "message": "点検中です。"}
    assert forms_client.post("/api/oneshot", data=ONESHOT_FORM).status_code == 503
    set_maintenance(store, clock, on=False)
    assert forms_client.post("/api/oneshot", data=ONESHOT_FORM).status_code == 200


@pytest.mark.parametrize(("path", "form"), FORMS)
def test_filled_honeypot_looks_accepted_but_stores_and_sends_nothing(
    forms_client: FlaskClient, store: Store, outbox: Outbox, path: str, form: dict[str, str]
) -> None:
    response = forms_client.post(path, data={**form, "website": "http://spam.example.com"})
    assert response.status_code == 200
    assert "送信を受け付けました" in response.get_data(as_text=True)
    assert stored(store) == 0 and outbox.messages() == []


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Origin": "http://127.0.0.1:8000"}, 200),
        ({"Origin": "http://localhost"}, 200),  # the host the request came to
        ({"Referer": "http://127.0.0.1:8000/apply/oneshot/"}, 200),
        ({}, 200),
        ({"Origin": "https://evil.example.com"}, 403),
        ({"Origin": "null"}, 403),
        ({"Referer": "https://evil.example.com/form.html"}, 403),
        ({"Origin": "https://evil.example.com", "Referer": "http://127.0.0.1:8000/"}, 403),
    ],
)
def test_posts_from_other_sites_are_refused(
    forms_client: FlaskClient, store: Store, headers: dict[str, str], status: int
) -> None:
    response = forms_client.post("/api/oneshot", data=ONESHOT_FORM, headers=headers)
    assert response.status_code == status
    if status == 403:
        assert "このサイトのフォーム以外から" in response.get_data(as_text=True)
        assert stored(store) == 0


def test_a_post_under_a_rebound_host_name_is_refused(forms_client: FlaskClient, store: Store) -> None:
    # A DNS-rebinding page: its own name now resolves to our address, so Origin and Host agree.
    headers = {"Host": "rebind.evil.example:8000", "Origin": "http://rebind.evil.example:8000"}
    response = forms_client.post("/api/oneshot", data=ONESHOT_FORM, headers=headers)
    assert response.status_code == 403
    assert stored(store) == 0


def test_oversized_body_gets_413_with_a_japanese_page(forms_client: FlaskClient, store: Store) -> None:
    response = forms_client.post("/api/drill", data={**DRILL_FORM, "participants": "a" * 100_000})
    assert response.status_code == 413
    assert "大きすぎる" in response.get_data(as_text=True)
    assert stored(store) == 0


def test_rate_limit_per_client_address(make_app: Callable[..., Flask]) -> None:
    client = make_app(rate_limit_client="3 per minute").test_client()
    statuses = [
        client.post("/api/oneshot", data={**ONESHOT_FORM, "email": f"u{n}@corp.example.jp"}).status_code
        for n in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    page = client.post("/api/oneshot", data=ONESHOT_FORM).get_data(as_text=True)
    assert "しばらく時間をおいて" in page
    # Another client address is not affected.
    other = client.post("/api/oneshot", data=ONESHOT_FORM, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 200


def test_rate_limit_per_email_address_across_clients(make_app: Callable[..., Flask]) -> None:
    client = make_app(rate_limit_email="2 per hour").test_client()
    statuses = [
        client.post(
            "/api/oneshot", data=ONESHOT_FORM, environ_base={"REMOTE_ADDR": f"192.0.2.{n}"}
        ).status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]
    fresh = client.post("/api/oneshot", data={**ONESHOT_FORM, "email": "someone@corp.example.jp"})
    assert fresh.status_code == 200


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("1000001", {"postal_code": "1000001", "prefecture": "東京都", "address": "千代田区千代田"}),
        ("100-0001", {"postal_code": "1000001", "prefecture": "東京都", "address": "千代田区千代田"}),
        ("0600000", {"postal_code": "0600000", "prefecture": "北海道", "address": "札幌市中央区"}),
    ],
)
def test_postal_lookup_endpoint(forms_client: FlaskClient, code: str, expected: dict[str, str]) -> None:
    response = forms_client.get(f"/api/postal/{code}")
    assert response.status_code == 200
    assert response.get_json() == expected


@pytest.mark.parametrize("code", ["9999999", "12", "abc"])
def test_postal_lookup_of_unknown_codes_is_404(forms_client: FlaskClient, code: str) -> None:
    response = forms_client.get(f"/api/postal/{code}")
    assert response.status_code == 404
    assert response.get_json() == {"error": "not_found"}
