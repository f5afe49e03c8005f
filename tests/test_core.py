"""The shared core: signed tokens and Japanese text normalisation."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from campaign_core.clock import FixedClock, parse_instant
from campaign_core.normalize import clean_text, digits_only, normalize_company
from campaign_core.tokens import Signer, TokenError


def test_token_round_trips_within_its_age(clock: FixedClock) -> None:
    signer = Signer("k", clock)
    token = signer.sign("confirm", {"id": 7})
    clock.advance(timedelta(hours=71))
    assert signer.unsign("confirm", token, max_age=timedelta(hours=72)) == {"id": 7}


def test_token_expires_by_the_injected_clock(clock: FixedClock) -> None:
    signer = Signer("k", clock)
    token = signer.sign("confirm", {"id": 7})
    clock.advance(timedelta(hours=73))
    with pytest.raises(TokenError) as caught:
        signer.unsign("confirm", token, max_age=timedelta(hours=72))
    assert caught.value.reason == "expired"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # altered signature
        lambda t: "x" + t,  # altered payload
    ],
)
def test_forged_token_is_invalid(clock: FixedClock, tamper: object) -> None:
    signer = Signer("k", clock)
    token = signer.sign("confirm", {"id": 7})
    with pytest.raises(TokenError) as caught:
        signer.unsign("confirm", tamper(token), max_age=timedelta(days=1))  # type: ignore[operator]
    assert caught.value.reason == "invalid"


def test_token_for_one_purpose_opens_no_other(clock: FixedClock) -> None:
    signer = Signer("k", clock)
    token = signer.sign("confirm", {"id": 7})
    with pytest.raises(TokenError):
        signer.unsign("report", token, max_age=timedelta(days=1))


def test_token_from_another_key_is_invalid(clock: FixedClock) -> None:
    token = Signer("k1", clock).sign("confirm", 1)
    with pytest.raises(TokenError):
        Signer("k2", clock).unsign("confirm", token, max_age=timedelta(days=1))


@pytest.mark.parametrize(
    "raw",
    [
        "株式会社テスト",
        "(株)テスト",
        "（株）テスト",
        "㈱テスト",
        "ｶﾌﾞｼｷｶﾞｲｼｬテスト",
        "株式会社　テスト",
        " 株式会社 テスト ",
    ],
)
def test_company_spellings_compare_equal(raw: str) -> None:
    assert normalize_company(raw) == "株式会社テスト"


@pytest.mark.parametrize(
    ("raw", "digits"),
    [("〒１００ー０００１", "1000001"), ("100-0001", "1000001"), ("０３－１２３４‐５６７８", "0312345678")],
)
def test_numbers_keep_only_digits(raw: str, digits: str) -> None:
    assert digits_only(raw) == digits


def test_clean_text_folds_width_and_spaces() -> None:
    assert clean_text("\u3000ＡＢＣ　　商店 ") == "ABC 商店"


def test_naive_instant_is_read_as_jst() -> None:
    assert parse_instant("2026-12-01T09:00") == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


def test_content_yaml_is_reread_when_the_file_changes_and_copies_are_private(tmp_path: Path) -> None:
    from campaign_core.content_cache import load_yaml

    (tmp_path / "x.yml").write_text("items: [1, 2]\n", encoding="utf-8")
    first = load_yaml(tmp_path, "x")
    first["items"].append(3)  # a caller's change must not leak into the next caller's data
    assert load_yaml(tmp_path, "x") == {"items": [1, 2]}
    (tmp_path / "x.yml").write_text("items: [1, 2, 3, 4]\n", encoding="utf-8")
    assert load_yaml(tmp_path, "x") == {"items": [1, 2, 3, 4]}


def test_typed_content_is_parsed_once_per_version_of_the_file(tmp_path: Path) -> None:
    from campaign_core.content import Chamber, chambers, load

    calls: list[object] = []

    def parse(data: list[dict[str, str]], label: str) -> tuple[str, ...]:
        calls.append(data)
        return (label, *(row["code"] for row in data))

    path = tmp_path / "chambers.yml"
    path.write_text("- {code: a, name: A}\n", encoding="utf-8")
    assert load(tmp_path, "chambers", parse, "x") == ("x", "a")
    assert load(tmp_path, "chambers", parse, "x") == ("x", "a")
    assert len(calls) == 1
    assert chambers(tmp_path) == (Chamber(code="a", name="A"),)
    path.write_text("- {code: a, name: A}\n- {code: bb, name: B, prefecture: 北海道}\n", encoding="utf-8")
    assert load(tmp_path, "chambers", parse, "x") == ("x", "a", "bb")
    assert len(calls) == 2
    assert chambers(tmp_path)[1] == Chamber(code="bb", name="B", prefecture="北海道")


def _environ(tmp_path: Path, **variables: str) -> dict[str, str]:
    return {"CAMPAIGN_DATA_DIR": str(tmp_path / "var"), "CAMPAIGN_SECRET_KEY": "k", **variables}


def test_settings_without_variables_keep_the_defaults(tmp_path: Path) -> None:
    from campaign_core.settings import Settings, load_settings

    loaded = load_settings(_environ(tmp_path))
    built = Settings(
        data_dir=loaded.data_dir, site_dir=loaded.site_dir, content_dir=loaded.content_dir, secret_key="k"
    )
    assert loaded == built
    assert loaded.send.rate == 5.0 and loaded.send.max_attempts == 8 and loaded.forms.claim_hours == 72
    assert loaded.forms.rate_limit_client == "30 per minute;500 per day"
    assert (loaded.smtp.host, loaded.smtp.port, loaded.smtp.timeout) == ("127.0.0.1", 25, 30.0)
    assert loaded.aws.dynamodb_table == "campaign" and loaded.aws.inbound_prefix == "inbound/"


def test_settings_read_the_variables_into_typed_fields(tmp_path: Path) -> None:
    from campaign_core.settings import load_settings

    loaded = load_settings(
        _environ(
            tmp_path,
            CAMPAIGN_SEND_RATE="0.5",
            CAMPAIGN_SEND_LEASE_SECONDS="30",
            CAMPAIGN_SMTP_STARTTLS="yes",
            CAMPAIGN_SMTP_USER="",
            CAMPAIGN_RATE_LIMIT_EMAIL="off",
            CAMPAIGN_MACHINE_SHARED_CLIENT="5",
            CAMPAIGN_TRACKING_DAYS=" ",
        )
    )
    assert loaded.send.rate == 0.5 and loaded.send.lease == timedelta(seconds=30)
    assert loaded.smtp.starttls is True and loaded.smtp.user is None
    assert loaded.forms.rate_limit_email is None
    assert loaded.machine.shared_client == 5
    assert loaded.send.tracking_days == 90  # blank: the default


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CAMPAIGN_SEND_RATE", "abc", "CAMPAIGN_SEND_RATE must be a number, got 'abc'"),
        ("CAMPAIGN_SMTP_PORT", "25.5", "CAMPAIGN_SMTP_PORT must be a whole number, got '25.5'"),
        ("CAMPAIGN_CLAIM_HOURS", "three days", "CAMPAIGN_CLAIM_HOURS must be a whole number"),
        ("CAMPAIGN_RETAIN_OUTBOX_DAYS", "0", "CAMPAIGN_RETAIN_OUTBOX_DAYS must be at least 1 day"),
    ],
)
def test_settings_refuse_a_bad_value_naming_the_variable(
    tmp_path: Path, variable: str, value: str, message: str
) -> None:
    from campaign_core.settings import load_settings

    with pytest.raises(ValueError, match=message):
        load_settings(_environ(tmp_path, **{variable: value}))


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, "2026年12月1日(火)"),
        ({"year": False}, "12月1日(火)"),
        ({"weekday": False}, "2026年12月1日"),
    ],
)
def test_japanese_day_text_reads_the_jst_day(kwargs: dict[str, bool], expected: str) -> None:
    from campaign_core.jst import day_text, jst_label

    late_utc = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # already 1 December in Japan
    assert day_text(late_utc, **kwargs) == expected
    assert jst_label(late_utc) == "2026年12月1日(火)08:30"
    assert jst_label(late_utc, year=False) == "12月1日(火)08:30"
