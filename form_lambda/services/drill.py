"""Drill applications: once per office, double opt-in, participants who confirm for themselves.

1. `apply` claims every office key of the application and writes the application, in one
   transaction (a unique key on SQLite, conditional writes on DynamoDB). A claim left unconfirmed
   expires after the confirm window (72 h) and may then be taken by a new application.
2. The officer gets a signed, expiring link; `confirm` makes the application and its claims
   permanent (accepted) and sends the acceptance mail.
3. Participants then get their own link, except the officer's own mailbox and addresses in a
   company domain staff have checked (`domains`); no drill mail may go to an address that has not
   confirmed.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import partial
from typing import Any, Literal

from campaign_core.choices import EMPLOYEES, INDUSTRIES, MEMBER, VARIANT_AUTO, VARIANT_CHOICES, label
from campaign_core.clock import JST, iso
from campaign_core.deps import Deps
from campaign_core.emails import domain_of, mailbox_key
from campaign_core.form_records import DrillApplication, Participant
from campaign_core.jst import day_text
from campaign_core.mail import MailError
from campaign_core.normalize import unlinked
from campaign_core.records import APPLICATION, CONFIRMED, OFFICE_CLAIM, TRUSTED, WAITING
from campaign_core.store import ConditionFailed, Put, Record, Update
from form_lambda.services import domains
from form_lambda.services.common import MAIL_TEMPLATES, take_mail_quota
from form_lambda.services.links import (
    BadLink,
    ConfirmLink,
    confirmed_write,
    link_key,
    mail_confirm_link,
    read_link,
    unconfirmed,
)
from form_lambda.validation import DrillInput

logger = logging.getLogger(__name__)

CONFIRM_PURPOSE = "drill-confirm"
CONFIRM_LINK = ConfirmLink(APPLICATION, CONFIRM_PURPOSE, "a", "drill_confirm", "/api/drill/confirm")
PARTICIPANT_PURPOSE = "drill-participant"

# What the applicant typed freely, shown in mails only through `unlinked`.
FREE_TEXT = ("company", "office", "address", "officer_name")
# The form's answers the application keeps as they were cleaned (`DrillInput`).
# fmt: off
ANSWERS = (
    "company", "office", "corporate_number", "postal_code", "prefecture", "address", "phone", "industry",
    "employees", "member", "officer_name", "officer_email", "variant", "reveal", "followup", "office_keys",
)
# fmt: on

# How long a participant's own confirmation link stays valid.
PARTICIPANT_WINDOW = timedelta(days=14)
# The sandwich puts the seminar first: staff watch the recorded seminar within two weeks of the
# acceptance, and the branch starts the drill window after that day (`campaign schedule` warns).
SEMINAR_LEAD = timedelta(days=14)
SEMINAR_PATH = "/seminars/#recorded"


@dataclass(frozen=True)
class ApplyResult:
    status: Literal["pending", "office_taken", "mail_limit"]
    application_id: str = ""


@dataclass(frozen=True)
class ConfirmResult:
    status: Literal["accepted", "already", "expired", "invalid"]
    application: dict[str, Any] | None = None


def participant_statuses(deps: Deps, data: DrillInput) -> tuple[Participant, ...]:
    """Each participant with TRUSTED (no own confirmation needed) or WAITING.

    Trusted: the officer's own mailbox (the officer's confirmation proves it), and addresses in the
    officer's domain when staff have checked that domain. Everyone else confirms by their own link."""
    officer = mailbox_key(data.officer_email)
    checked = any(p.in_officer_domain for p in data.participants) and domains.is_checked(
        deps.store, domain_of(data.officer_email)
    )
    return tuple(
        Participant(
            email=p.email,
            status=TRUSTED
            if mailbox_key(p.email) == officer or (checked and p.in_officer_domain)
            else WAITING,
        )
        for p in data.participants
    )


def apply(deps: Deps, data: DrillInput, *, consent_version: str) -> ApplyResult:
    """Claim the office and store the pending application; mail the officer a confirmation link.

    Nothing is stored when the office is taken; if the confirmation mail cannot be sent, what was
    stored is removed again, so the applicant can simply try later."""
    if not take_mail_quota(deps, data.officer_email):
        return ApplyResult("mail_limit")
    now = deps.now()
    deadline = now + deps.confirm_window
    application_id = secrets.token_hex(16)
    claim = {"application_id": application_id, "status": "pending", "claimed_at": iso(now)}
    application = DrillApplication(
        key=application_id, status="pending", chamber=data.chamber.as_dict(),
        participants=participant_statuses(deps, data), consent={"version": consent_version, "at": iso(now)},
        applied_at=now, confirm_by=deadline, **{name: getattr(data, name) for name in ANSWERS},
    )  # fmt: skip
    ops: list[Put | Update] = [
        Put(OFFICE_CLAIM, key, claim, expires_at=deadline, replace_expired_before=now)
        for key in data.office_keys
    ]
    ops.append(Put(APPLICATION, application_id, application.to_item()))
    try:
        deps.store.transact(ops)
    except ConditionFailed:
        return ApplyResult("office_taken")

    mail_confirm_link(
        deps,
        CONFIRM_LINK,
        application_id,
        to=data.officer_email,
        deadline=deadline,
        values={"application": _mail_view(application)},
        undo=partial(_release, deps, application_id, data.office_keys),
    )
    return ApplyResult("pending", application_id)


def _release(deps: Deps, application_id: str, keys: tuple[str, ...]) -> None:
    for key in keys:
        record = deps.store.get(OFFICE_CLAIM, key)
        if record is not None and record.data.get("application_id") == application_id:
            deps.store.delete(OFFICE_CLAIM, key)
    deps.store.delete(APPLICATION, application_id)


def _mail_view(application: DrillApplication) -> dict[str, Any]:
    """The application as the mails show it: choices as their Japanese labels, and the applicant's
    free text made unclickable (these mails may reach people who never typed it: `unlinked`)."""
    chamber = application.chamber
    return {
        **application.to_item(),
        **{name: unlinked(getattr(application, name)) for name in FREE_TEXT},
        "chamber": {**chamber, "name": unlinked(str(chamber.get("name", "")))},
        "industry_label": label(INDUSTRIES, application.industry),
        "employees_label": label(EMPLOYEES, application.employees),
        "member_label": label(MEMBER, application.member),
    }


def check_confirm_token(deps: Deps, token: str) -> ConfirmResult | str:
    """The application id behind a confirmation token, or the reason it cannot be used."""
    return link_key(deps, CONFIRM_LINK, token, ConfirmResult)


def confirm(deps: Deps, token: str) -> ConfirmResult:
    """The officer opened the link: accept the application, keep its office for good."""
    checked = check_confirm_token(deps, token)
    record = unconfirmed(deps.store, APPLICATION, checked, done="accepted", result=ConfirmResult)
    if not isinstance(record, Record):
        return record
    application = DrillApplication.from_record(record)
    now = deps.now()
    seminar_by = (now + SEMINAR_LEAD).astimezone(JST).date().isoformat()
    accepted_fields = DrillApplication.changes(status="accepted", accepted_at=now, seminar_by=seminar_by)
    ops: list[Put | Update] = [
        Update(APPLICATION, application.key, accepted_fields, expect_version=application.version)
    ]
    for key in application.office_keys:
        claim = deps.store.get(OFFICE_CLAIM, key)
        if claim is None or claim.data.get("application_id") != application.key:
            # The claim expired and another application took the office meanwhile.
            return ConfirmResult("expired")
        ops.append(confirmed_write(OFFICE_CLAIM, claim, {"status": "accepted", "accepted_at": iso(now)}))
    try:
        deps.store.transact(ops)
    except ConditionFailed:
        latest = deps.store.get(APPLICATION, application.key)
        if latest is not None and DrillApplication.from_record(latest).status == "accepted":
            return ConfirmResult("already", latest.data)
        return ConfirmResult("expired")
    accepted = application.updated(accepted_fields)
    try:
        _send_acceptance(deps, accepted)
        if accepted.member != "member":
            # The acceptance mail carried the membership offer: HQ's leads show it was made.
            deps.store.update(
                APPLICATION, application.key, DrillApplication.changes(membership_offered_at=now)
            )
    except MailError as exc:
        # The application stands (the page shows the next steps); staff see what to resend.
        logger.error("acceptance mails of %s not sent: %s", application.key, exc)
        deps.store.update(APPLICATION, application.key, DrillApplication.changes(mail_error=str(exc)[:500]))
    return ConfirmResult("accepted", accepted.to_item())


def _send_acceptance(deps: Deps, application: DrillApplication) -> None:
    application_id = application.key
    waiting = [p.email for p in application.participants if p.status == WAITING]
    values = {
        "application": _mail_view(application),
        "member": application.member,
        "waiting": waiting,
        "manual_url": deps.link("/officers/"),
        "notice_url": deps.link("/officers/notice/"),
        "staff_url": deps.link("/officers/staff/"),
        "seminar_url": deps.link(SEMINAR_PATH),
        "seminar_by": day_text(date.fromisoformat(application.seminar_by)),
        "variant_label": label(VARIANT_CHOICES, application.variant or VARIANT_AUTO),
        "report_address": deps.report_address,
    }
    deps.send_mail(MAIL_TEMPLATES, "drill_accepted", to=application.officer_email, values=values)
    # Only now, with the officer's own address proven, may anyone else be written to: each
    # participant outside the company domain gets one confirmation link and nothing more.
    for address in waiting:
        if not take_mail_quota(deps, address):
            # The address had its day's mails (someone may be using the forms against it): no
            # link now; it stays unconfirmed and gets no drill mail.
            logger.warning("participant link of %s not sent: the mailbox's daily cap", application_id)
            continue
        token = deps.signer.sign(PARTICIPANT_PURPOSE, {"a": application_id, "p": address})
        deps.send_mail(
            MAIL_TEMPLATES,
            "drill_participant",
            to=address,
            values={
                "application": _mail_view(application),
                "confirm_url": deps.link("/api/drill/participant", token=token),
                "deadline_days": PARTICIPANT_WINDOW.days,
            },
        )


def check_participant_token(deps: Deps, token: str) -> ConfirmResult | tuple[str, str]:
    """(application id, address) behind a participant's token, or the reason it cannot be used."""
    payload = read_link(deps.signer, PARTICIPANT_PURPOSE, token, max_age=PARTICIPANT_WINDOW)
    if isinstance(payload, BadLink):
        return ConfirmResult(payload.reason)
    if not isinstance(payload, dict):
        return ConfirmResult("invalid")
    return str(payload.get("a", "")), str(payload.get("p", ""))


def confirm_participant(deps: Deps, token: str) -> ConfirmResult:
    """A participant confirmed by their own link: drill mail may now go to them."""
    checked = check_participant_token(deps, token)
    if isinstance(checked, ConfirmResult):
        return checked
    application_id, address = checked
    for _attempt in range(5):
        record: Record | None = deps.store.get(APPLICATION, application_id)
        if record is None or (application := DrillApplication.from_record(record)).status != "accepted":
            return ConfirmResult("expired")
        match = [p for p in application.participants if p.email == address]
        if not match:
            return ConfirmResult("invalid")
        if match[0].status in (CONFIRMED, TRUSTED):
            return ConfirmResult("already", record.data)
        confirmed = replace(match[0], status=CONFIRMED, confirmed_at=deps.now())
        changes = DrillApplication.changes(
            participants=tuple(confirmed if p is match[0] else p for p in application.participants)
        )
        if deps.store.update(APPLICATION, application_id, changes, expect_version=record.version):
            return ConfirmResult("accepted", application.updated(changes).to_item())
    return ConfirmResult("invalid")
