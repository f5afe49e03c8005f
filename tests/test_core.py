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
    from campaign_core.content import load_yaml

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
