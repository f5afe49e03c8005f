"""Japanese text normalisation: every input is normalised before it is validated or compared.

People type full-width digits and letters, 〒, many kinds of hyphen and long-vowel marks in numbers,
(株) for 株式会社, and spaces of both widths.
"""

from __future__ import annotations

import re
import unicodedata

# Hyphen, dash and long-vowel look-alikes that people type between digits.
_DASHES = "-‐‑‒–—―−⁃﹘﹣－ｰーー─━"
_DASH_RE = re.compile(f"[{re.escape(_DASHES)}]")
_SPACES_RE = re.compile(r"[\s\u3000\u00a0\u200b]+")

# Legal-form spellings (after NFKC, which turns ㈱ into (株) and ｶﾌﾞｼｷｶﾞｲｼｬ into カブシキガイシャ).
LEGAL_FORMS: dict[str, tuple[str, ...]] = {
    "株式会社": ("(株)", "カブシキガイシャ", "カブシキカイシャ", "株式會社"),
    "有限会社": ("(有)", "ユウゲンガイシャ", "ユウゲンカイシャ"),
    "合同会社": ("(同)", "ゴウドウガイシャ", "ゴウドウカイシャ"),
    "合資会社": ("(資)", "ゴウシガイシャ"),
    "合名会社": ("(名)", "ゴウメイガイシャ"),
    "一般社団法人": ("(一社)", "(社)"),
    "一般財団法人": ("(一財)", "(財)"),
    "特定非営利活動法人": ("NPO法人", "(特非)"),
}


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def squash_spaces(text: str) -> str:
    """Runs of spaces of any width become one ASCII space; ends are trimmed."""
    return _SPACES_RE.sub(" ", text).strip()


def clean_text(text: str) -> str:
    """The default for free text fields: NFKC, one kind of space, trimmed."""
    return squash_spaces(nfkc(text))


def digits_only(text: str) -> str:
    """Phone numbers and postal codes: keep the digits, drop 〒, hyphens, spaces and brackets."""
    return "".join(ch for ch in nfkc(text) if ch.isascii() and ch.isdigit())


def normalize_dashes(text: str) -> str:
    """Every hyphen-like character becomes an ASCII hyphen (after NFKC)."""
    return _DASH_RE.sub("-", nfkc(text))


def normalize_company(text: str) -> str:
    """A comparable company name: NFKC, legal forms spelled one way, no spaces."""
    name = nfkc(text).replace("（", "(").replace("）", ")")
    for canonical, variants in LEGAL_FORMS.items():
        for variant in variants:
            name = name.replace(variant, canonical)
    return _SPACES_RE.sub("", name)


# --- Numbers in addresses -------------------------------------------------------------------------

_KANJI_DIGITS = "〇一二三四五六七八九十百千"
# Kanji numerals are converted only where they count blocks (一丁目, 二番地, 三号, 四の五, 番地の三):
# place names such as 千代田, 四日市 or 八王子 must stay as they are.
_KANJI_BLOCK_RE = re.compile(f"([{_KANJI_DIGITS}]+)(?=丁目|番地|番|号|の[{_KANJI_DIGITS}0-9])")
_KANJI_AFTER_MARK_RE = re.compile(f"(?:(?<=丁目)|(?<=番地の)|(?<=番の)|(?<=[0-9]の))([{_KANJI_DIGITS}]+)")
_DIGIT_DASH_RE = re.compile(rf"(?<=\d)\s*[{re.escape(_DASHES)}]\s*(?=\d)")
_BLOCK_MARK_RE = re.compile(r"(\d+)\s*(?:丁目|番地の?|番の?|の)\s*(?=\d)")
_BLOCK_END_RE = re.compile(r"(\d+)\s*(?:丁目|番地|番|号)")
# The street number: "1-2-3", and in Hokkaido's grid addresses "北1条西2丁目3" -> "1-2-3".
_STREET_NUMBER_RE = re.compile(r"(?:\d+条[東西南北]?)*\d+(?:-\d+)*")
# Floors and rooms are not part of the office's place: "5F", "地下1階", "B1F", "501号室", "#501".
# They are set aside before the street number is read, wherever they are written.
_FLOOR_ROOM_RE = re.compile(r"(?:地下|B)?\d+(?:F|階)(?![A-Za-z])|\d+号?室|#\d+", re.IGNORECASE)
# A street number has at most three parts (丁目-番-号, or 番地-号): a fourth is a room number.
_BLOCK_PARTS = 3
# With three parts, a third of three digits or more is a room (123-4-501), not a 号: 号 numbers of
# 住居表示 stay far below 100.
_ROOM_DIGITS = 3


def kanji_number(text: str) -> int:
    """一 -> 1, 二十三 -> 23, 〇 -> 0 (block numbers in addresses)."""
    import kanjize  # imported here: only address handling needs it

    if text and set(text) <= set("〇一二三四五六七八九"):
        # Digit-by-digit spelling such as 一〇 (10), as on some forms.
        return int("".join(str("〇一二三四五六七八九".index(ch)) for ch in text))
    return int(kanjize.kanji2number(text))


def _kanji_digits(match: re.Match[str]) -> str:
    return str(kanji_number(match.group(1)))


def normalize_address(text: str) -> str:
    """A comparable address: NFKC, no spaces, block numbers as digits joined by "-".

    `東京都千代田区千代田１丁目２番３号`, `東京都千代田区千代田1丁目2番地の3` and
    `東京都千代田区千代田1ー2ー3` all become `東京都千代田区千代田1-2-3`.
    """
    value = nfkc(text)
    value = _KANJI_BLOCK_RE.sub(_kanji_digits, value)
    value = _KANJI_AFTER_MARK_RE.sub(_kanji_digits, value)
    value = _DIGIT_DASH_RE.sub("-", value)
    value = _BLOCK_MARK_RE.sub(r"\1-", value)
    value = _BLOCK_END_RE.sub(r"\1", value)
    return _SPACES_RE.sub("", value)


def street_number(address: str) -> str:
    """The block number of an address as digits and hyphens ("1-2-3"), or "" when it has none.

    Floors and rooms are set aside: `5F 1-2-3`, `1-2-3-501`, `1-2-3 501号室` and
    `1丁目2番地の3 ABCビル5階` all give `1-2-3`.
    """
    value = _FLOOR_ROOM_RE.sub(" ", nfkc(address))
    # A room written after a space ("1-2-3 501") is a further part, not more digits of the 号.
    value = re.sub(r"(?<=[\d号番地目])\s+(?=\d)", "-", value.strip())
    match = _STREET_NUMBER_RE.search(normalize_address(value))
    if match is None:
        return ""
    parts = re.findall(r"\d+", match.group(0))[:_BLOCK_PARTS]
    if len(parts) == _BLOCK_PARTS and len(parts[-1]) >= _ROOM_DIGITS and "丁目" not in nfkc(address):
        parts = parts[:-1]
    return "-".join(parts)


# --- Names -----------------------------------------------------------------------------------------

# Bank-transfer abbreviations of legal forms, after NFKC: (カ) 株式会社, (ユ) 有限会社, (ド) 合同会社.
_KANA_LEGAL_FORMS = {"(カ)": "株式会社", "(ユ)": "有限会社", "(ド)": "合同会社"}
# Hiragana and katakana spell one reading: てすと商事 and テスト商事 are one company. Unicode puts
# each hiragana (ぁ U+3041 .. ゖ U+3096, ゝゞ) 0x60 below its katakana; NFKC has already turned
# half-width katakana into full width.
_HIRAGANA_TO_KATAKANA = {code: code + 0x60 for code in (*range(0x3041, 0x3097), 0x309D, 0x309E)}
_NAME_PUNCTUATION_RE = re.compile(r"[\s・･.,、。'\"‘’“”「」『』\u3000]+")


def company_key(text: str) -> str:
    """The company part of an office key: legal form removed, case folded, no spaces or dots.

    `株式会社テスト`, `(株)テスト`, `㈱ テスト`, `ｶﾌﾞｼｷｶﾞｲｼｬﾃｽﾄ`, `テスト株式会社` and `株式会社てすと` all
    give `テスト`:
    the postal code and street number next to it keep different companies apart.
    """
    name = reading_fold(_SPACES_RE.sub("", nfkc(text)))
    for variant, canonical in _KANA_LEGAL_FORMS.items():
        name = name.replace(variant, canonical)
    name = normalize_company(name)
    for canonical in LEGAL_FORMS:
        name = name.replace(canonical, "")
    return _NAME_PUNCTUATION_RE.sub("", name).casefold()


def reading_fold(text: str) -> str:
    """Names compared by reading: hiragana folded into katakana (てすと -> テスト)."""
    return text.translate(_HIRAGANA_TO_KATAKANA)


def office_name_key(text: str) -> str:
    """The office-name part of an office key (e.g. 大阪支店): NFKC, kana folded, no spaces."""
    return reading_fold(_NAME_PUNCTUATION_RE.sub("", nfkc(text)).casefold())


def phone_digits(text: str) -> str:
    """A Japanese phone number as digits; an international +81 prefix becomes the leading 0."""
    value = nfkc(text).strip()
    digits = digits_only(value)
    if value.startswith("+81") and digits.startswith("81"):
        digits = "0" + digits[2:].lstrip("0")
    return digits


def tidy_company(text: str) -> str:
    """A company name fit to print: NFKC, one kind of space, legal form spelled out.

    `ｶﾌﾞｼｷｶﾞｲｼｬ ﾃｽﾄ` and `㈱ テスト` become `株式会社テスト`; `ABC Trading (株)` becomes
    `ABC Trading 株式会社` (spaces inside the name stay)."""
    name = clean_text(text).replace("( ", "(").replace(" )", ")")
    for variant, canonical in _KANA_LEGAL_FORMS.items():
        name = name.replace(variant, canonical)
    for canonical, variants in LEGAL_FORMS.items():
        for variant in variants:
            name = name.replace(variant, canonical)
        # The legal form is written next to a Japanese name without a space.
        name = re.sub(rf"{canonical} (?=[^\x00-\x7f])", canonical, name)
        name = re.sub(rf"(?<=[^\x00-\x7f]) {canonical}", canonical, name)
    return name


# What mail programs turn into links: a scheme (`https://`, `mailto:`), a host with dots
# (`evil.example`, `www.…`, also with the ideographic and full-width stops IDNA reads as dots), an
# address (`@`).
_LINK_SCHEME_RE = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*):(?=\S)")
_LINK_DOT_RE = re.compile(r"(?<=\w)\s*[.。｡．]\s*(?=\w)")


def unlinked(text: str) -> str:
    """Free text a stranger typed, as it may appear in a mail to someone else: nothing in it can
    become a clickable link (the defanging of security reports: `evil[.]example`, `hxxp[:]//`)."""
    text = _LINK_SCHEME_RE.sub(r"\1[:]", text)
    text = _LINK_DOT_RE.sub("[.]", text)
    return text.replace("@", "[@]").replace("＠", "[@]")
