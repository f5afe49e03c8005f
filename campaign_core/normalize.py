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
