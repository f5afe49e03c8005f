"""What the confirmation links of the forms share: mailing a signed link for a stored record (and
removing the record when the mail cannot go), reading a link's token (and the record key it
carries), and finding the record it confirms, not yet confirmed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Literal, TypeVar

from campaign_core.deps import Deps
from campaign_core.jst import jst_label
from campaign_core.store import ConditionFailed, Record, Store, Update
from campaign_core.tokens import Signer, TokenError
from form_lambda.services.common import MAIL_TEMPLATES

Result = TypeVar("Result")


@dataclass(frozen=True)
class BadLink:
    reason: Literal["expired", "invalid"]


@dataclass(frozen=True)
class ConfirmLink:
    """One form's confirmation link: the record kind it confirms, the token's purpose, the payload
    field that carries the record key, the mail template that brings the link and the address (the
    button page) it opens."""

    kind: str
    purpose: str
    field: str
    template: str
    path: str


def mail_confirm_link(
    deps: Deps,
    link: ConfirmLink,
    key: str,
    *,
    to: str,
    deadline: datetime,
    values: dict[str, Any],
    undo: Callable[[], object] | None,
) -> None:
    """Mail `to` the signed link that confirms the stored record `key` until `deadline`, with the
    template's other `values`. When the mail cannot be sent, `undo` removes what was stored, so the
    applicant can simply try again later; the error goes on to the caller."""
    token = deps.signer.sign(link.purpose, {link.field: key})
    try:
        deps.send_mail(
            MAIL_TEMPLATES,
            link.template,
            to=to,
            values={
                **values,
                "confirm_url": deps.link(link.path, token=token),
                "deadline": jst_label(deadline),
            },
        )
    except Exception:
        if undo is not None:
            undo()
        raise


def read_link(signer: Signer, purpose: str, token: str, *, max_age: timedelta) -> Any:
    """The payload of a link's token, or `BadLink` when it is forged, altered or expired."""
    try:
        return signer.unsign(purpose, token, max_age=max_age)
    except TokenError as exc:
        return BadLink("expired" if exc.reason == "expired" else "invalid")


def ask_to_confirm(
    deps: Deps, link: ConfirmLink, key: str, record: dict[str, Any], *, to: str, values: dict[str, Any]
) -> tuple[bool, Record | None]:
    """Store the pending `record` under `key` until the confirm window ends (an expired one is
    replaced) and mail `to` the link that confirms it; (True, None) when it was stored now.

    Asked again for a pending record, the link goes out again and the record stays as it was; a
    record no longer pending is left alone and returned, nothing mailed, for the caller to answer.
    When the mail cannot be sent, a record stored now is removed again (`mail_confirm_link`)."""
    now = deps.now()
    deadline = now + deps.confirm_window
    created = deps.store.put_new(link.kind, key, record, expires_at=deadline, replace_expired_before=now)
    existing = None if created else deps.store.get(link.kind, key)
    if existing is not None and existing.data.get("status") != "pending":
        return created, existing
    undo = partial(deps.store.delete, link.kind, key) if created else None
    mail_confirm_link(deps, link, key, to=to, deadline=deadline, values=values, undo=undo)
    return created, None


def link_key(deps: Deps, link: ConfirmLink, token: str, result: Callable[[Any], Result]) -> Result | str:
    """The record key a confirmation token of `link` carries, or the `result` for the reason it
    cannot be used."""
    payload = read_link(deps.signer, link.purpose, token, max_age=deps.confirm_window)
    if isinstance(payload, BadLink):
        return result(payload.reason)
    if not isinstance(payload, dict) or not isinstance(payload.get(link.field), str):
        return result("invalid")
    return str(payload[link.field])


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


def confirmed_write(kind: str, record: Record, changes: dict[str, Any]) -> Update:
    """The write that confirms `record` of `kind`: its `changes`, only if nobody wrote it since it
    was read, and no expiry from now on (a confirmed record stays)."""
    return Update(kind, record.key, changes, expect_version=record.version, expires_at=None)


def confirm_once(store: Store, kind: str, record: Record, changes: dict[str, Any]) -> bool:
    """Confirm `record` (`confirmed_write`); False when another confirmation came first, as when its
    button is pressed twice at once."""
    try:
        store.transact([confirmed_write(kind, record, changes)])
    except ConditionFailed:
        return False
    return True
