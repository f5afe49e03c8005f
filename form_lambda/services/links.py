"""What the confirmation links of the forms share: reading a link's signed token (and the record
key it carries), and finding the record it confirms, not yet confirmed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, TypeVar

from campaign_core.deps import Deps
from campaign_core.store import Record, Store
from campaign_core.tokens import Signer, TokenError

Result = TypeVar("Result")


@dataclass(frozen=True)
class BadLink:
    reason: Literal["expired", "invalid"]


def read_link(signer: Signer, purpose: str, token: str, *, max_age: timedelta) -> Any:
    """The payload of a link's token, or `BadLink` when it is forged, altered or expired."""
    try:
        return signer.unsign(purpose, token, max_age=max_age)
    except TokenError as exc:
        return BadLink("expired" if exc.reason == "expired" else "invalid")


def link_key(
    deps: Deps, purpose: str, token: str, field: str, result: Callable[[Any], Result]
) -> Result | str:
    """The record key a confirmation token carries in `field`, or the `result` for the reason it
    cannot be used."""
    payload = read_link(deps.signer, purpose, token, max_age=deps.confirm_window)
    if isinstance(payload, BadLink):
        return result(payload.reason)
    if not isinstance(payload, dict) or not isinstance(payload.get(field), str):
        return result("invalid")
    return str(payload[field])


def unconfirmed(
    store: Store,
    kind: str,
    checked: Result | str,
    *,
    done: str,
    result: Callable[[Any, dict[str, Any] | None], Result],
) -> Result | Record:
    """The `kind` record a checked token names (`checked`: its key, or the result for a bad link),
    if it is still to be confirmed; otherwise the result: "expired" when it is gone, "already" when
    its status is `done`."""
    if not isinstance(checked, str):
        return checked
    record = store.get(kind, checked)
    if record is None:
        return result("expired", None)
    if record.data.get("status") == done:
        return result("already", record.data)
    return record
