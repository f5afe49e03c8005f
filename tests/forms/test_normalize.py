"""Normalisation rules: every spelling Japanese users type ends up in one comparable form."""

from __future__ import annotations

import pytest

from campaign_core.address import PREFECTURES, lookup_postal_code
from campaign_core.normalize import company_key, normalize_address, phone_digits, street_number, tidy_company
from campaign_core.office import office_keys


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("株式会社テスト", "テスト"),
        ("(株)テスト", "テスト"),
        ("（株）テスト", "テスト"),
        ("㈱テスト", "テスト"),
        ("㈱　テスト", "テスト"),
        ("ｶﾌﾞｼｷｶﾞｲｼｬﾃｽﾄ", "テスト"),
        ("ｶﾌﾞｼｷｶﾞｲｼｬ ﾃｽﾄ", "テスト"),
        ("カブシキカイシャテスト", "テスト"),
        ("テスト株式会社", "テスト"),
        ("(カ)テスト", "テスト"),
        ("有限会社テスト", "テスト"),
        ("(有)テスト", "テスト"),
        ("合同会社テスト", "テスト"),
        ("ＡＢＣ商事", "abc商事"),
        ("  abc 商事 ", "abc商事"),
        ("一般社団法人テスト協会", "テスト協会"),
        ("NPO法人テスト", "テスト"),
        # Names are compared by reading: hiragana and katakana spell the same name.
        ("株式会社てすと", "テスト"),
        ("かぶしきがいしゃ てすと", "テスト"),
        ("さくら商事", "サクラ商事"),
        ("ｻｸﾗ商事", "サクラ商事"),
    ],
)
def test_company_spellings_reduce_to_one_key(typed: str, expected: str) -> None:
    assert company_key(typed) == expected


@pytest.mark.parametrize(
    ("typed", "printed"),
    [
        ("ｶﾌﾞｼｷｶﾞｲｼｬ ﾃｽﾄ", "株式会社テスト"),
        ("㈱ テスト", "株式会社テスト"),
        ("（株）テスト", "株式会社テスト"),
        ("テスト　株式会社", "テスト株式会社"),
        ("(カ)テスト", "株式会社テスト"),
        ("ABC Trading (株)", "ABC Trading 株式会社"),
        ("  ＡＢＣ　商事  ", "ABC 商事"),
        ("有限会社テスト商店", "有限会社テスト商店"),
    ],
)
def test_company_names_are_printed_with_the_legal_form_spelled_out(typed: str, printed: str) -> None:
    assert tidy_company(typed) == printed


@pytest.mark.parametrize(
    ("typed", "normalised", "number"),
    [
        ("東京都千代田区1-2-3", "東京都千代田区1-2-3", "1-2-3"),
        ("東京都千代田区１丁目２番３号", "東京都千代田区1-2-3", "1-2-3"),
        ("東京都千代田区１－２－３", "東京都千代田区1-2-3", "1-2-3"),
        ("東京都千代田区1ー2ー3", "東京都千代田区1-2-3", "1-2-3"),
        ("東京都千代田区1‐2‐3", "東京都千代田区1-2-3", "1-2-3"),
        ("東京都千代田区1−2−3", "東京都千代田区1-2-3", "1-2-3"),
        ("東京都千代田区一丁目二番三号", "東京都千代田区1-2-3", "1-2-3"),
        ("東京都千代田区1丁目2番地3", "東京都千代田区1-2-3", "1-2-3"),
        ("東京都 千代田区　1-2-3", "東京都千代田区1-2-3", "1-2-3"),
        ("港区1の2の3", "港区1-2-3", "1-2-3"),
        ("八王子市元本郷町三丁目二十四番一号", "八王子市元本郷町3-24-1", "3-24-1"),
        # Kanji numerals inside place names stay: 千代田, 四日市, 八王子.
        ("四日市市諏訪町1番5号", "四日市市諏訪町1-5", "1-5"),
        ("千代田区千代田", "千代田区千代田", ""),
        ("札幌市中央区北1条西2丁目3", "札幌市中央区北1条西2-3", "1-2-3"),
        ("千代田1-2-3 テストビル5F", "千代田1-2-3テストビル5F", "1-2-3"),
        ("千代田区千代田1丁目2番地の3", "千代田区千代田1-2-3", "1-2-3"),
        ("千代田区千代田一丁目二番地の三", "千代田区千代田1-2-3", "1-2-3"),
    ],
)
def test_addresses_normalise_block_numbers(typed: str, normalised: str, number: str) -> None:
    assert normalize_address(typed) == normalised
    assert street_number(typed) == number


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("千代田1-2-3-501", "1-2-3"),
        ("千代田1-2-3 501", "1-2-3"),
        ("千代田1丁目2番3号 501", "1-2-3"),
        ("千代田1-2-3 501号室", "1-2-3"),
        ("千代田1-2-3 #501", "1-2-3"),
        ("5F 千代田1-2-3", "1-2-3"),
        ("B1F 千代田1-2-3", "1-2-3"),
        ("千代田1-2-3 テストビル12階", "1-2-3"),
        # 番地-号 with a room: the third part of three digits is the room.
        ("元町123-4-501", "123-4"),
        ("元町123-4", "123-4"),
        ("港区六本木6丁目10番1号 六本木ヒルズ森タワー5F", "6-10-1"),
    ],
)
def test_street_numbers_set_rooms_and_floors_aside(typed: str, number: str) -> None:
    assert street_number(typed) == number


@pytest.mark.parametrize(
    ("typed", "digits"),
    [
        ("03-1234-5678", "0312345678"),
        ("０３ー１２３４ー５６７８", "0312345678"),
        ("(03)1234-5678", "0312345678"),
        ("090 1234 5678", "09012345678"),
        ("+81 3-1234-5678", "0312345678"),
        ("+81 (0)3 1234 5678", "0312345678"),
    ],
)
def test_phone_numbers_become_digits(typed: str, digits: str) -> None:
    assert phone_digits(typed) == digits


@pytest.mark.parametrize(
    ("typed", "prefecture", "city", "town"),
    [
        ("1000001", "東京都", "千代田区", "千代田"),
        ("100-0001", "東京都", "千代田区", "千代田"),
        ("〒１００ー０００１", "東京都", "千代田区", "千代田"),
        ("530-0001", "大阪府", "大阪市北区", "梅田"),
        ("060-0000", "北海道", "札幌市中央区", ""),
    ],
)
def test_postal_codes_resolve_offline(typed: str, prefecture: str, city: str, town: str) -> None:
    found = lookup_postal_code(typed)
    assert found is not None
    assert (found.prefecture, found.city, found.town) == (prefecture, city, town)


@pytest.mark.parametrize("typed", ["999-9999", "123", "", "abcdefg"])
def test_unknown_postal_codes_resolve_to_none(typed: str) -> None:
    assert lookup_postal_code(typed) is None


def test_there_are_47_prefectures() -> None:
    assert len(PREFECTURES) == 47 == len(set(PREFECTURES))


SAME_OFFICE = [
    ("株式会社テスト", "100-0001", "千代田区千代田1-2-3"),
    ("(株)テスト", "〒１００ー０００１", "千代田区千代田１丁目２番３号"),
    ("ｶﾌﾞｼｷｶﾞｲｼｬﾃｽﾄ", "１００－０００１", "千代田区千代田一丁目二番三号"),
    ("㈱テスト", "1000001", "千代田区 千代田 1ー2ー3"),
    ("テスト株式会社", "100 0001", "千代田区千代田1丁目2番地3"),
    # 番地の: the plan's forms and the registry write blocks this way.
    ("株式会社テスト", "1000001", "千代田区千代田1丁目2番地の3"),
    ("株式会社テスト", "1000001", "千代田区千代田一丁目二番地の三"),
    # Rooms and floors are set aside: one office, however its room or floor is written.
    ("株式会社テスト", "1000001", "千代田区千代田1-2-3-501"),
    ("株式会社テスト", "1000001", "千代田区千代田1-2-3 501号室"),
    ("株式会社テスト", "1000001", "千代田区千代田1丁目2番3号 テストビル5階"),
    ("株式会社テスト", "1000001", "5F 千代田区千代田1-2-3"),
    ("株式会社テスト", "1000001", "５Ｆ　千代田区千代田１－２－３"),
    ("株式会社テスト", "1000001", "地下1階 千代田区千代田1-2-3"),
    # Hiragana and katakana spellings of the name.
    ("株式会社てすと", "1000001", "千代田区千代田1-2-3"),
    ("ｶﾌﾞｼｷｶﾞｲｼｬ てすと", "1000001", "千代田区千代田1-2-3"),
]


@pytest.mark.parametrize(("company", "postal", "address"), SAME_OFFICE)
def test_spellings_of_one_office_share_the_address_key(company: str, postal: str, address: str) -> None:
    reference = office_keys(company="株式会社テスト", postal_code="1000001", address="千代田区千代田1-2-3")
    assert office_keys(company=company, postal_code=postal, address=address) == reference


@pytest.mark.parametrize(
    ("company", "postal", "address"),
    [
        ("株式会社テスト2", "100-0001", "千代田区千代田1-2-3"),
        ("株式会社テスト", "100-0002", "千代田区千代田1-2-3"),
        ("株式会社テスト", "100-0001", "千代田区千代田1-2-4"),
        ("株式会社テスト", "100-0001", "千代田区千代田1-3-3-501"),
        ("株式会社テスト", "100-0001", "5F 千代田区千代田2-2-3"),
        ("株式会社テスコ", "100-0001", "千代田区千代田1-2-3"),
    ],
)
def test_different_offices_get_different_keys(company: str, postal: str, address: str) -> None:
    reference = office_keys(company="株式会社テスト", postal_code="1000001", address="千代田区千代田1-2-3")
    assert set(office_keys(company=company, postal_code=postal, address=address)).isdisjoint(reference)


def test_corporate_number_adds_a_key_shared_by_spellings_of_the_office_name() -> None:
    first = office_keys(
        company="株式会社テスト",
        postal_code="5300001",
        address="大阪市北区梅田1-1",
        corporate_number="5835678256246",
        office="大阪支店",
    )
    second = office_keys(
        company="テスト",
        postal_code="5300002",
        address="別の書き方",
        corporate_number="5-8356-7825-6246",
        office="大阪 支店",
    )
    assert len(first) == 2
    assert first[0] == second[0]
    assert first[1] != second[1]


def test_office_keys_hold_no_personal_text() -> None:
    keys = office_keys(company="株式会社テスト", postal_code="1000001", address="千代田区千代田1-2-3")
    assert all(key.isascii() and "テスト" not in key for key in keys)
