"""The drill application over HTTP: once per office, double opt-in, participants, expiry."""

from __future__ import annotations

import email
import re
from datetime import timedelta
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from campaign_core.clock import FixedClock
from campaign_core.records import mailable_participants
from campaign_core.store import Store
from form_lambda.services.domains import add_checked
from tests.support.forms import (
    DRILL_FORM,
    Outbox,
    confirm_officer,
    html_of,
    links,
    post_form,
    text_of,
    token_of,
)

pytestmark = pytest.mark.both_stores  # every test of this module runs on both store adapters


def apply(client: FlaskClient, **changes: str) -> tuple[int, str]:
    return post_form(client, "/api/drill", DRILL_FORM, **changes)


def test_application_is_pending_until_the_officer_confirms(
    forms_client: FlaskClient, store: Store, outbox: Outbox
) -> None:
    status, page = apply(forms_client)
    # The answer is a page of the site saying what happens next.
    assert status == 200
    assert "確認メールをお送りしました" in page
    assert "md-header" in page
    [application] = store.query("application")
    assert application.data["status"] == "pending"
    assert application.data["consent"] == {"version": "2026-11", "at": "2026-11-27T01:00:00+00:00"}
    assert len(store.query("office_claim")) == 1
    # One mail, to the officer only: nobody else is written to before the officer confirms.
    [mail] = outbox.messages()
    assert mail["To"] == "taro@test-corp.example.jp"
    assert "確定" in str(mail["Subject"])
    assert mail.get_content_type() == "multipart/alternative"
    assert "/api/drill/confirm?token=" in text_of(mail)
    assert "/api/drill/confirm?token=" in html_of(mail)
    # Correct headers: Date, Message-ID, the Japanese display name of the sender encoded (RFC 2047).
    assert mail["Date"] is not None and mail["Message-ID"] is not None
    raw = next(outbox.directory.glob("*.eml")).read_bytes()
    assert re.search(rb"^From: =\?utf-8\?", raw, re.MULTILINE | re.IGNORECASE)
    # (decode_header, not the policy parser: the latter puts a space between folded encoded words)
    raw_from = str(email.message_from_bytes(raw)["From"])
    assert str(make_header(decode_header(raw_from))).startswith("セキュリティ訓練キャンペーン事務局 <")


def test_confirmation_accepts_and_mails_next_steps_and_participants_outside_a_checked_domain(
    forms_client: FlaskClient, store: Store, outbox: Outbox, clock: FixedClock
) -> None:
    add_checked(store, clock, "test-corp.example.jp")  # staff checked the company's domain
    apply(forms_client)
    page = confirm_officer(forms_client, outbox)
    assert "お申し込みが確定しました" in page
    [application] = store.query("application")
    assert application.data["status"] == "accepted"
    [claim] = store.query("office_claim")
    assert claim.expires_at is None  # an accepted office is held for good
    accepted = outbox.to("taro@test-corp.example.jp")[-1]
    body = text_of(accepted)
    assert "http://127.0.0.1:8000/officers/" in body  # the officer's manual
    assert "http://127.0.0.1:8000/officers/notice/" in body  # the pre-drill notice
    assert "jiro@partner.example.com" in body  # who still has to confirm
    # The participant in the company's domain gets nothing now; the outsider gets one link.
    assert outbox.to("hanako@test-corp.example.jp") == []
    [ask] = outbox.to("jiro@partner.example.com")
    assert mailable_participants(application.data) == ["hanako@test-corp.example.jp"]
    link = links(text_of(ask))[0]
    assert forms_client.get(link).status_code == 200
    assert forms_client.get("/api/drill/participant?token=forged").status_code == 400
    response = forms_client.post("/api/drill/participant", data={"token": token_of(link)})
    assert response.status_code == 200
    [application] = store.query("application")
    assert mailable_participants(application.data) == [
        "hanako@test-corp.example.jp",
        "jiro@partner.example.com",
    ]


def test_without_a_checked_domain_every_participant_but_the_officer_confirms(
    forms_client: FlaskClient, store: Store, outbox: Outbox
) -> None:
    participants = "hanako@test-corp.example.jp\nTaro+drill@test-corp.example.jp"
    apply(forms_client, participants=participants)
    confirm_officer(forms_client, outbox)
    [application] = store.query("application")
    # The officer's own mailbox is proven by the officer's confirmation; a colleague's is not.
    assert mailable_participants(application.data) == ["Taro+drill@test-corp.example.jp"]
    assert len(outbox.to("hanako@test-corp.example.jp")) == 1
    assert outbox.to("Taro+drill@test-corp.example.jp") == []


def test_free_mail_officer_makes_every_participant_confirm(
    forms_client: FlaskClient, store: Store, outbox: Outbox
) -> None:
    apply(forms_client, officer_email="taro.test@gmail.com", participants="a@gmail.com\nb@gmail.com")
    confirm_officer(forms_client, outbox, "taro.test@gmail.com")
    [application] = store.query("application")
    assert mailable_participants(application.data) == []
    assert len(outbox.to("a@gmail.com")) == len(outbox.to("b@gmail.com")) == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"company": "(株)テスト"},
        {"company": "㈱テスト", "postal_code": "〒１００ー０００１"},
        {"company": "ｶﾌﾞｼｷｶﾞｲｼｬﾃｽﾄ", "address": "千代田区千代田１丁目２番３号"},
        {"company": "株式会社　テスト", "address": "千代田区千代田一丁目二番三号", "postal_code": "1000001"},
        {"officer_email": "other@test-corp.example.jp", "officer_name": "別の 人"},
    ],
)
def test_second_application_for_the_same_office_is_refused_politely(
    forms_client: FlaskClient, store: Store, outbox: Outbox, changes: dict[str, str]
) -> None:
    apply(forms_client)
    status, page = apply(forms_client, **changes)
    assert status == 409
    assert "すでにお申し込みを受け付けています" in page
    assert "campaign@drill.example.jp" in page  # a contact
    # Nothing about the first application shows, and nothing new is stored or sent.
    for secret in ("taro@test-corp.example.jp", "山田", "hanako@"):
        assert secret not in page
    assert len(store.query("application")) == 1
    assert len(outbox.messages()) == 1


def test_an_unconfirmed_claim_expires_and_frees_the_office(
    forms_client: FlaskClient, store: Store, outbox: Outbox, clock: FixedClock
) -> None:
    apply(forms_client)
    first_link = links(text_of(outbox.messages()[0]))[0]
    clock.advance(timedelta(hours=71))
    assert apply(forms_client, officer_email="next@test-corp.example.jp")[0] == 409
    clock.advance(timedelta(hours=2))
    assert apply(forms_client, officer_email="next@test-corp.example.jp")[0] == 200
    # The first link is now useless, and the office belongs to the second application.
    response = forms_client.post("/api/drill/confirm", data={"token": token_of(first_link)})
    assert response.status_code == 400
    assert "有効期限" in response.get_data(as_text=True)
    confirm_officer(forms_client, outbox, "next@test-corp.example.jp")
    statuses = sorted(r.data["status"] for r in store.query("application"))
    assert statuses == ["accepted", "pending"]


@pytest.mark.parametrize("token", ["", "garbage", "eyJhIjoiMSJ9.AAAAAA.forged"])
def test_forged_confirmation_tokens_are_refused(forms_client: FlaskClient, store: Store, token: str) -> None:
    apply(forms_client)
    assert forms_client.get("/api/drill/confirm", query_string={"token": token}).status_code == 400
    response = forms_client.post("/api/drill/confirm", data={"token": token})
    assert response.status_code == 400
    assert "リンク" in response.get_data(as_text=True)
    assert store.query("application")[0].data["status"] == "pending"


def test_confirming_twice_is_harmless(forms_client: FlaskClient, store: Store, outbox: Outbox) -> None:
    apply(forms_client)
    confirm_officer(forms_client, outbox)
    link = links(text_of(outbox.to("taro@test-corp.example.jp")[0]))[0]
    response = forms_client.post("/api/drill/confirm", data={"token": token_of(link)})
    assert response.status_code == 200
    assert "すでに確定しています" in response.get_data(as_text=True)
    assert len(outbox.to("taro@test-corp.example.jp")) == 2  # no second acceptance mail


def test_error_page_keeps_every_value_and_points_at_each_wrong_field(
    forms_client: FlaskClient, store: Store, outbox: Outbox
) -> None:
    status, page = apply(
        forms_client,
        postal_code="999-9999",
        officer_email="taro@",
        participants="ok@test-corp.example.jp\n<script>alert(1)</script>",
        variant="subtle",
        reveal="",
        consent="",
    )
    assert status == 400
    # The site's page, with the filled form in place of the empty one.
    assert "md-header" in page and page.count('<form class="cf-form"') == 1
    assert "<title>入力内容をご確認ください(4件) - 訓練のお申し込み" in page
    assert 'value="株式会社テスト"' in page
    assert 'value="999-9999"' in page
    assert '<option value="東京都" selected>' in page
    assert '<option value="manufacturing" selected>' in page
    assert 'value="non_member" checked' in page
    assert "ok@test-corp.example.jp\n&lt;script&gt;alert(1)&lt;/script&gt;</textarea>" in page
    assert "<script>alert(1)" not in page
    # An error summary at the top linking to each field, and a message at each field.
    summary = page[
        page.index('id="cf-error-summary"') : page.index("</ul>", page.index('id="cf-error-summary"'))
    ]
    for field in ("postal_code", "officer_email", "participants", "consent"):
        assert f'href="#f-{field}"' in summary
        assert f'id="f-{field}-error"' in page
    assert re.search(
        r'id="f-postal_code"[^>]*aria-describedby="f-postal_code-hint f-postal_code-error"'
        r'[^>]*aria-invalid="true"',
        page,
    )
    assert 'id="f-company"' in page and "aria-invalid" not in re.search(
        r'<input[^>]*id="f-company"[^>]*>', page
    ).group(0)  # type: ignore[union-attr]
    # The unchecked box stays unchecked; relative links of the built page still work from /api/.
    assert re.search(r'name="reveal" value="on"(?! checked)', page)
    assert re.search(r'name="followup" value="on" checked', page)
    assert re.search(r'name="variant" value="subtle" checked', page)
    assert 'href="/assets/' in page and 'href="../' not in page
    assert '"base": "/"' in page and '"search": "/assets/javascripts/workers/' in page
    # Nothing stored, nothing sent.
    assert store.query("application") == [] and store.query("office_claim") == []
    assert outbox.messages() == []


def test_ref_chamber_and_unknown_chamber_are_stored(forms_client: FlaskClient, store: Store) -> None:
    apply(forms_client, chamber="sapporo")
    apply(forms_client, chamber="どこかの商工会議所", company="別会社", address="千代田区千代田9-9-9")
    chambers = sorted(
        (r.data["chamber"]["code"], r.data["chamber"]["name"]) for r in store.query("application")
    )
    assert chambers == [("", "どこかの商工会議所"), ("sapporo", "札幌商工会議所")]


# -- what the officer chooses (issue 11 §5) ----------------------------------------------------------


def test_the_form_offers_the_kind_of_mail_and_the_two_mails_after_it(built_site: Path) -> None:
    page = (built_site / "apply" / "drill" / "index.html").read_text(encoding="utf-8")
    for value, text in (("obvious", "見分けやすい"), ("subtle", "気づきにくい"), ("auto", "おまかせ")):
        assert re.search(rf'name="variant" value="{value}"[^>]*> {text}</label>', page)
    assert re.search(r'name="variant" value="auto" checked', page)  # おまかせ unless chosen
    assert re.search(r'name="reveal" value="on" checked', page)
    assert re.search(r'name="followup" value="on" checked', page)
    assert "reveal_followup" not in page


def test_the_choices_are_stored_and_the_acceptance_mail_puts_the_seminar_first(
    forms_client: FlaskClient, store: Store, outbox: Outbox, clock: FixedClock
) -> None:
    form = {k: v for k, v in DRILL_FORM.items() if k != "followup"}  # an unchecked box posts nothing
    forms_client.post("/api/drill", data={**form, "variant": "subtle"})
    confirm_officer(forms_client, outbox)
    [application] = store.query("application")
    assert (application.data["variant"], application.data["reveal"], application.data["followup"]) == (
        "subtle",
        True,
        False,
    )
    assert application.data["seminar_by"] == "2026-12-11"  # two weeks after the acceptance (JST)
    accepted = outbox.to("taro@test-corp.example.jp")[-1]
    for body in (text_of(accepted), html_of(accepted)):
        assert "http://127.0.0.1:8000/seminars/#recorded" in body
        assert "12月11日" in body and "気づきにくい" in body
        assert "種明かしメールをお送りします" in body and "おさらいのメールはお送りしません" in body
        # The seminar comes before the drill's preparations (the plan's order).
        assert body.index("セミナー") < body.index("訓練までにお願いしたいこと")


def test_a_form_from_before_the_two_choices_still_sets_both(forms_client: FlaskClient, store: Store) -> None:
    old = {k: v for k, v in DRILL_FORM.items() if k not in ("variant", "reveal", "followup")}
    response = forms_client.post("/api/drill", data={**old, "reveal_followup": "on"})
    assert response.status_code == 200
    [application] = store.query("application")
    assert (application.data["variant"], application.data["reveal"], application.data["followup"]) == (
        "auto",
        True,
        True,
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("variant", "medium", "訓練メールの種類"), ("reveal", "maybe", "種明かし")],
)
def test_a_bad_choice_is_named_at_its_field_and_the_rest_is_kept(
    forms_client: FlaskClient, store: Store, field: str, value: str, message: str
) -> None:
    status, page = apply(forms_client, **{field: value})
    assert status == 400
    error = re.search(rf'id="f-{field}-error">(.*?)</p>', page)
    assert error and message in error.group(1)
    assert 'value="株式会社テスト"' in page and store.query("application") == []
