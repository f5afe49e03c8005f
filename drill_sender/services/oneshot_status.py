"""The one-shot status page: whether the sample drill mail was sent, opened and clicked, by a signed
link mailed to the address that asked for it, right after the sample went out."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from campaign_core.deps import Deps
from campaign_core.form_records import OneshotRequest
from campaign_core.mail import MailError
from campaign_core.records import ONESHOT
from campaign_core.tokens import linked_key
from drill_sender.services.mails import service_mail
from drill_sender.services.tracking import Counts, message_activity

log = logging.getLogger(__name__)
STATUS_PURPOSE = "oneshot-status"
STATUS_MAX_AGE = timedelta(days=30)


@dataclass(frozen=True)
class OneshotStatus:
    email: str
    company: str
    sent_at: datetime | None
    opened_at: datetime | None
    clicked_at: datetime | None
    machine_hits: int


def status_url(deps: Deps, request_key: str) -> str:
    return deps.signed_link("/t/oneshot", STATUS_PURPOSE, {"k": request_key})


def request_of(deps: Deps, token: str) -> str:
    """The request key behind a status token; `TokenError` otherwise."""
    return linked_key(
        deps.signer, deps.store, STATUS_PURPOSE, token, max_age=STATUS_MAX_AGE, field="k", kind=ONESHOT
    )


def load_status(deps: Deps, request_key: str) -> OneshotStatus:
    record = deps.store.get(ONESHOT, request_key)
    if record is None:
        raise KeyError(request_key)
    request = OneshotRequest.from_record(record)
    message_key = request.message_key
    counts: Counts = message_activity(deps, message_key) if message_key else Counts(0, 0, 0, 0, ())
    activity = counts.messages[0] if counts.messages else None
    return OneshotStatus(
        email=request.email,
        company=request.company,
        sent_at=request.sent_at,
        opened_at=activity.first_open if activity else None,
        clicked_at=activity.first_click if activity else None,
        machine_hits=counts.machine_hits,
    )


def mail_status_link(deps: Deps, request_key: str) -> bool:
    """Once per request, after the sample was sent: the link to its status page."""
    record = deps.store.get(ONESHOT, request_key)
    request = OneshotRequest.from_record(record) if record is not None else None
    if request is None or request.status_mailed:
        return False
    mailed = OneshotRequest.changes(status_mailed=True)
    if not deps.store.update(ONESHOT, request_key, mailed, expect_version=request.version):
        return False  # another runner got there first
    base = deps.base_url
    try:
        message = service_mail(
            deps,
            "oneshot_status",
            to=request.email,
            values={
                "company": request.company,
                "status_url": status_url(deps, request_key),
                "valid_days": STATUS_MAX_AGE.days,
                "oneshot_url": f"{base}/drill/oneshot/",
            },
        )
        deps.mailer.send(message)
    except MailError:
        log.exception("the one-shot status mail was not sent")
        deps.store.update(ONESHOT, request_key, OneshotRequest.changes(status_mailed=False))
        return False
    return True
