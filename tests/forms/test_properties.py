"""Property tests over every field of every endpoint: whatever arrives, the app never answers 5xx,
never puts user text into HTML or a mail unescaped, and a refused submission leaves nothing behind."""

from __future__ import annotations

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign_core.store import Store
from tests.support.forms import DRILL_FORM, ONESHOT_FORM, SEMINAR_FORM, Outbox, html_of

KINDS = ("application", "office_claim", "seminar_signup", "seat_counter", "oneshot")
MARK = "<x-inj onclick=1>"
TRICKY = [
    "", " ", "\u3000", "０３ー１２３４ー５６７８", "〒１００ー０００１", "㈱テスト", "ｶﾌﾞｼｷｶﾞｲｼｬ",
    "a@b.c\r\nBcc: victim@example.com", "taro@test-corp.example.jp\nBcc: x@example.com",
    "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "{{ 7*7 }}", "{% raw %}",
    "\x00\x01\x7f", "🙂" * 50, "あ" * 5000, "1" * 400, "=?utf-8?b?QmNjOg==?=", "%0d%0aBcc:x",
    "member", "non_member", "on", "off", "yes", "manufacturing", "6-20", "東京都",
]  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(TRICKY),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=200),
)
ENDPOINTS = [
    ("/api/drill", DRILL_FORM),
    ("/api/seminar", SEMINAR_FORM),
    ("/api/oneshot", ONESHOT_FORM),
]
CASES = [(path, form, field) for path, form in ENDPOINTS for field in form]


def _state(store: Store, outbox: Outbox) -> tuple[int, int]:
    return sum(len(store.query(kind)) for kind in KINDS), len(outbox.messages())


@pytest.mark.parametrize(("path", "form", "field"), CASES, ids=[f"{p}:{f}" for p, _, f in CASES])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=VALUES, marked=st.booleans())
def test_any_value_of_any_field(
    forms_app: Flask, store: Store, outbox: Outbox, path: str, form: dict[str, str], field: str,
    value: str, marked: bool,
) -> None:  # fmt: skip
    sent = value + MARK if marked else value
    before = _state(store, outbox)
    client = forms_app.test_client()
    # Each example is a different company, so drill applications do not collide with each other.
    company = f"株式会社プロパティ{hash((field, value, marked)) & 0xFFFFFF}"
    data = {**form, "company": company, field: sent} if field != "company" else {**form, field: sent}
    response = client.post(path, data=data)
    page = response.get_data(as_text=True)

    assert response.status_code < 500
    assert "<x-inj" not in page
    if response.status_code != 200:
        assert response.status_code in (400, 409, 413)
        assert _state(store, outbox) == before, "a refused submission left something behind"
        return
    for message in outbox.messages()[before[1] :]:
        assert "<x-inj" not in html_of(message)
        for name in ("To", "From", "Subject"):
            assert "\n" not in str(message[name]) and "\r" not in str(message[name])
        assert message["Bcc"] is None


LINK_ENDPOINTS = ["/api/drill/confirm", "/api/drill/participant", "/api/oneshot/confirm"]


@pytest.mark.parametrize("path", LINK_ENDPOINTS)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(token=VALUES)
def test_any_token_on_the_confirmation_links(
    forms_app: Flask, store: Store, outbox: Outbox, path: str, token: str
) -> None:
    client = forms_app.test_client()
    before = _state(store, outbox)
    for response in (
        client.get(path, query_string={"token": token + MARK}),
        client.post(path, data={"token": token}),
    ):
        assert response.status_code in (200, 400)
        assert "<x-inj" not in response.get_data(as_text=True)
    assert _state(store, outbox) == before


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    code=st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="/?#%.\\"), min_size=1, max_size=30
    )
)
def test_any_postal_code_lookup(forms_app: Flask, code: str) -> None:
    response = forms_app.test_client().get(f"/api/postal/{code}")
    assert response.status_code in (200, 404)
    if response.status_code == 200:
        assert response.get_json()["postal_code"].isdigit()
