"""One-shot experience: one sample drill mail to one address, after that address confirmed by its
own link. The confirmed request is stored for the drill sender, which sends the sample mail."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from campaign_core.clock import iso
from campaign_core.deps import Deps
from campaign_core.form_records import OneshotRequest
from campaign_core.normalize import unlinked
from campaign_core.records import ONESHOT
from campaign_core.store import Record
from form_lambda.services.common import MAIL_TEMPLATES, email_key, take_mail_quota
from form_lambda.services.links import ConfirmLink, ask_to_confirm, confirm_once, link_key, unconfirmed
from form_lambda.validation import OneshotInput

PURPOSE = "oneshot-confirm"
CONFIRM_LINK = ConfirmLink(ONESHOT, PURPOSE, "k", "oneshot_confirm", "/api/oneshot/confirm")


@dataclass(frozen=True)
class OneshotResult:
    status: Literal["pending", "confirmed", "already", "expired", "invalid", "mail_limit"]
    request: dict[str, Any] | None = None


def request(deps: Deps, data: OneshotInput, *, consent_version: str) -> OneshotResult:
    """Store the pending request (one per address; an unconfirmed one expires) and mail the link.

    A second request for an address that is already waiting or confirmed stores nothing new; the
    answer and the mail are the same, so the form tells nobody whether an address was used."""
    if not take_mail_quota(deps, data.email):
        return OneshotResult("mail_limit")
    now = deps.now()
    key = email_key(data.email)
    record = OneshotRequest(
        key=key,
        status="pending",
        email=data.email,
        company=data.company,
        consent={"version": consent_version, "at": iso(now)},
        requested_at=now,
    ).to_item()
    shown = {"request": {**record, "company": unlinked(data.company)}}  # typed by anyone
    _, existing = ask_to_confirm(deps, CONFIRM_LINK, key, record, to=data.email, values=shown)
    if existing is not None:  # confirmed before: the same answer, and a mail saying so
        done = OneshotRequest.from_record(existing)
        shown_done = replace(done, company=unlinked(done.company))
        deps.send_mail(MAIL_TEMPLATES, "oneshot_already", to=data.email, values={"request": shown_done})
        return OneshotResult("pending", existing.data)
    return OneshotResult("pending", record)


def check_token(deps: Deps, token: str) -> OneshotResult | str:
    """The request key behind a confirmation token, or the reason it cannot be used."""
    return link_key(deps, CONFIRM_LINK, token, OneshotResult)


def confirm(deps: Deps, token: str) -> OneshotResult:
    existing = unconfirmed(
        deps.store, ONESHOT, check_token(deps, token), done="confirmed", result=OneshotResult
    )
    if not isinstance(existing, Record):
        return existing
    # `due_at` puts the request in the scheduler's `due` index until it is queued (oneshot_queue.py).
    now = deps.now()
    changes = OneshotRequest.changes(status="confirmed", confirmed_at=now, send_status="waiting", due_at=now)
    # Confirmed requests no longer expire: the drill sender picks them up.
    if not confirm_once(deps.store, ONESHOT, existing, changes):
        return OneshotResult("already", existing.data)
    return OneshotResult("confirmed", {**existing.data, **changes})
