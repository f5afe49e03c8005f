"""Seminar signups (recorded, live with seats, overflow, closed) and the one-shot request."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar

from campaign_core.clock import JST
from campaign_core.store import Store
from tests.support.forms import (
    ONESHOT_FORM,
    Outbox,
    confirm_signup,
    html_of,
    set_session,
    sign_up,
    text_of,
)

LIVE = "live-2026-12"


pytestmark = pytest.mark.both_stores  # every test of this module runs on both store adapters


def test_recorded_session_reply_carries_the_viewing_url_and_notes(
    forms_client: FlaskClient, store: Store, outbox: Outbox
) -> None:
    status, page = sign_up(forms_client)
    assert status == 200
    assert "セミナーのお申し込みを受け付けました" in page
    [mail] = outbox.messages()
    body = text_of(mail)
    assert "https://www.youtube.com/watch?v=kQ3vT9mXw2E" in body
    assert "24時間いつでも" in body  # a note from content/seminars.yml
    assert "https://www.youtube.com/watch?v=kQ3vT9mXw2E" in html_of(mail)
    assert not [p for p in mail.iter_attachments()]
    [signup] = store.query("seminar_signup")
    assert signup.data["chamber"] == {"code": "sapporo", "name": "札幌商工会議所"}
    assert signup.data["consent"]["version"] == "2026-11"


def test_live_session_takes_seats_up_to_capacity_then_offers_youtube(
    make_app: Callable[..., Flask], content_dir: Path
) -> None:
    set_session(content_dir, LIVE, capacity=2)
    app = make_app()
    client = app.test_client()
    outbox = Outbox(app.config["CAMPAIGN_SETTINGS"].outbox_dir)
    store: Store = app.extensions["campaign_store"]
    for n in range(3):
        status, page = sign_up(client, session_id=LIVE, email=f"p{n}@corp.example.jp")
        assert status == 200 and "確認メールをお送りしました" in page
    # Nobody holds a seat before confirming; then seats go in the order of confirmation.
    assert store.get("seat_counter", LIVE) is None
    for n in range(3):
        [ask] = outbox.to(f"p{n}@corp.example.jp")
        assert "/api/seminar/confirm?token=" in text_of(ask)
        assert "zoom.example.jp" not in text_of(ask)
        page = confirm_signup(client, ask)
        assert "セミナーのお申し込みを受け付けました" in page
    replies = [text_of(outbox.to(f"p{n}@corp.example.jp")[1]) for n in range(3)]
    assert "https://zoom.example.jp/j/82612161400" in replies[0]
    assert "https://zoom.example.jp/j/82612161400" in replies[1]
    assert "zoom.example.jp" not in replies[2]
    assert "https://www.youtube.com/live/Lv26q3iJ5kL" in replies[2]
    assert "定員2名" in replies[2]  # says why
    # The notes for a live session (content/seminars.yml live_notes): Zoom's name display and camera
    # for Zoom attendees, the recording policy for everyone.
    assert "表示名" in replies[0] and "カメラ" in replies[0] and "録画" in replies[0]
    assert "表示名" in html_of(outbox.to("p0@corp.example.jp")[1])
    assert "表示名" not in replies[2] and "録画" in replies[2]
    # Every live reply carries an invitation at the session's time, with the URL it gives.
    for n, url in enumerate(["zoom.example.jp", "zoom.example.jp", "youtube.com/live"]):
        [attachment] = list(outbox.to(f"p{n}@corp.example.jp")[1].iter_attachments())
        assert attachment.get_content_type() == "text/calendar"
        calendar = Calendar.from_ical(attachment.get_payload(decode=True))
        [event] = calendar.walk("VEVENT")
        assert event.decoded("dtstart") == datetime(2026, 12, 16, 14, 0, tzinfo=JST)
        assert url in str(event.get("location"))
    # Signing up again takes no second seat and resends the same channel.
    assert sign_up(client, session_id=LIVE, email="p0@corp.example.jp")[0] == 200
    assert "zoom.example.jp" in text_of(outbox.to("p0@corp.example.jp")[2])
    # Pressing the button again takes no second seat either.
    confirm_signup(client, outbox.to("p0@corp.example.jp")[0])
    counter = store.get("seat_counter", LIVE)
    assert counter is not None and counter.data["taken"] == 2


@pytest.mark.parametrize("session_id", ["live-2026-06", "live-2026-09"])
def test_closed_or_past_sessions_are_refused_with_a_message(
    forms_client: FlaskClient, store: Store, outbox: Outbox, session_id: str
) -> None:
    status, page = sign_up(forms_client, session_id=session_id)
    assert status == 400
    assert "受付を終了しました" in page
    assert store.query("seminar_signup") == [] and outbox.messages() == []


def test_open_sessions_past_their_start_are_refused(
    make_app: Callable[..., Flask], content_dir: Path
) -> None:
    set_session(content_dir, LIVE, starts_at="2026-11-26T14:00:00+09:00")
    client = make_app().test_client()
    status, page = sign_up(client, session_id=LIVE)
    assert status == 400 and "受付を終了しました" in page


def test_seminar_form_lists_only_open_sessions(forms_client: FlaskClient) -> None:
    _, page = sign_up(forms_client, company="")
    assert '<option value="recorded-basics" selected>' in page
    assert 'value="live-2026-12"' in page
    assert 'value="live-2026-06"' not in page


def test_oneshot_is_confirmed_by_link_and_stored_for_the_drill_sender(
    forms_client: FlaskClient, store: Store, outbox: Outbox
) -> None:
    response = forms_client.post("/api/oneshot", data=ONESHOT_FORM)
    assert response.status_code == 200
    [request] = store.query("oneshot")
    assert request.data["status"] == "pending" and request.expires_at is not None
    [mail] = outbox.messages()
    link = re.findall(r"http://127\.0\.0\.1:8000(/api/oneshot/confirm\S+)", text_of(mail))[0]
    assert forms_client.get(link).status_code == 200
    assert forms_client.get(link + "x").status_code == 400  # an altered link
    token = parse_qs(urlsplit(link).query)["token"][0]
    response = forms_client.post("/api/oneshot/confirm", data={"token": token})
    assert response.status_code == 200
    [request] = store.query("oneshot")
    assert request.data["status"] == "confirmed"
    assert request.data["send_status"] == "waiting"
    assert request.expires_at is None
    assert request.data["email"] == "taro@test-corp.example.jp"


def test_oneshot_twice_for_a_confirmed_address_stores_nothing_new(
    forms_client: FlaskClient, store: Store, outbox: Outbox
) -> None:
    forms_client.post("/api/oneshot", data=ONESHOT_FORM)
    token = parse_qs(
        urlsplit(re.findall(r"(/api/oneshot/confirm\S+)", text_of(outbox.messages()[0]))[0]).query
    )
    forms_client.post("/api/oneshot/confirm", data={"token": token["token"][0]})
    response = forms_client.post("/api/oneshot", data={**ONESHOT_FORM, "email": "TARO@test-corp.example.jp"})
    assert response.status_code == 200
    assert len(store.query("oneshot")) == 1
    assert "すでにお申し込みが確定しています" in text_of(outbox.messages()[-1])


@pytest.mark.parametrize(
    ("form", "field"),
    [({**ONESHOT_FORM, "email": "x"}, "email"), ({**ONESHOT_FORM, "consent": ""}, "consent")],
)
def test_oneshot_errors_re_render_the_form(
    forms_client: FlaskClient, store: Store, form: dict[str, str], field: str
) -> None:
    response = forms_client.post("/api/oneshot", data=form)
    assert response.status_code == 400
    assert f'href="#f-{field}"' in response.get_data(as_text=True)
    assert store.query("oneshot") == []
