"""The `where` filter of `Store.query`, as both adapters apply it after reading a kind."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from campaign_core.store import Record


def same_value(stored: Any, wanted: Any) -> bool:
    """Equality as DynamoDB sees it: numbers by value (1 == 1.0), but a bool is never a number."""
    if isinstance(stored, bool) or isinstance(wanted, bool):
        return isinstance(stored, bool) and isinstance(wanted, bool) and stored == wanted
    return bool(stored == wanted)


def matching(records: Sequence[Record], where: Mapping[str, Any] | None) -> list[Record]:
    """The records whose data has every field of `where` with an equal value (`same_value`)."""
    wanted = (where or {}).items()
    return [r for r in records if all(f in r.data and same_value(r.data[f], v) for f, v in wanted)]
