"""Application ids as staff type them: the whole id, or any unique beginning of one (as git takes a
short commit id), full-width or upper case as a Japanese keyboard may give it.

`listed_applications` is the one place the staff command lists every drill application: the
`campaign applications` listing, the overview of `campaign` alone and the prefix lookup all read
it, so the store's index for listings can take its place in one spot.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from campaign_core.records import APPLICATION
from campaign_core.store import Record, Store
from cli.output import fail, jst

if TYPE_CHECKING:
    from cli.main import Env

MAX_CANDIDATES = 10


def listed_applications(store: Store) -> list[Record]:
    """Every drill application (a listing of the whole kind: staff commands only, never a request path)."""
    return store.query(APPLICATION)


class PrefixError(LookupError):
    """No id, or more than one, begins with the text staff typed."""

    def __init__(self, text: str, candidates: tuple[Record, ...]) -> None:
        super().__init__(text)
        self.text = text
        self.candidates = candidates


def match_prefix(text: str, records: list[Record]) -> Record:
    """The one record whose key begins with `text`; PrefixError when none or several do."""
    found = tuple(record for record in records if record.key.startswith(text))
    if len(found) != 1:
        raise PrefixError(text, found)
    return found[0]


def typed_id(text: str) -> str:
    """What staff typed, as ids are written: NFKC (full-width digits and letters), lower case."""
    return unicodedata.normalize("NFKC", text).strip().lower()


def resolve_application_id(env: Env, text: str) -> str:
    """The application id `text` names; exits with a Japanese message when it names none or several.

    A whole id is one direct read; only a shorter text lists the applications."""
    wanted = typed_id(text)
    if not wanted:
        fail("申込 ID を指定してください(`campaign applications` で一覧が見られます)。")
    if env.store.get(APPLICATION, wanted) is not None:
        return wanted
    try:
        return match_prefix(wanted, listed_applications(env.store)).key
    except PrefixError as exc:
        fail(prefix_message(exc))


def prefix_message(exc: PrefixError) -> str:
    if not exc.candidates:
        return (
            f"「{exc.text}」で始まる申込 ID はありません。"
            "`campaign applications` で一覧を出し、ID を確かめてください。"
        )
    lines = [
        f"「{exc.text}」で始まる申込 ID が {len(exc.candidates)} 件あります。"
        "どれか分かるところまで、もう少し長く入力してください。"
    ]
    for record in sorted(exc.candidates, key=lambda r: str(r.data.get("applied_at", "")))[:MAX_CANDIDATES]:
        company = " ".join(
            str(part) for part in (record.data.get("company"), record.data.get("office")) if part
        )
        lines.append(f"  {record.key}  {company}(申込 {jst(record.data.get('applied_at'))[:10]})")
    if len(exc.candidates) > MAX_CANDIDATES:
        lines.append(f"  ほか {len(exc.candidates) - MAX_CANDIDATES} 件")
    return "\n".join(lines)
