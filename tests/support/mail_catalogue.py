"""Every kind of mail the campaign sends, made by the real services into an outbox: the 24 drill
mails (`build_message`), the one-shot sample, and each service mail (confirmations, acceptance,
schedule, report, reveal, follow-up, one-shot status, chamber list, seminar reply with `.ics`).

`every_mail(store, settings, clock)` returns them by name, e.g. `"drill 02-obvious"`,
`"drill_accepted"`, `"seminar_reply"`; the SpamAssassin and header tests take them from here."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from campaign_core.clock import FixedClock
from campaign_core.deps import Deps
from campaign_core.mail import OutboxMailer
from campaign_core.records import MESSAGE
from campaign_core.settings import Settings
from campaign_core.store import Record, Store
from drill_sender.services.feedback import build_feedback, find_chamber, send_feedback
from drill_sender.services.notices import send_report_notice, send_schedule_notice
from drill_sender.services.schedule import new_message, schedule
from drill_sender.services.send import build_message, send_due
from drill_sender.templates import MONTHS, VARIANTS
from form_lambda.rendering import load_chambers, load_sessions
from form_lambda.services import drill as drill_forms
from form_lambda.services import oneshot as oneshot_forms
from form_lambda.services import seminar as seminar_forms
from form_lambda.services.domains import add_checked
from form_lambda.validation import validate_drill, validate_oneshot, validate_seminar
from tests.support.forms import DRILL_FORM, SEMINAR_FORM

OFFICER = "taro@catalogue-corp.example.jp"
STAFF = "hanako@catalogue-corp.example.jp"
OUTSIDER = "jiro@partner-catalogue.example.com"
SAMPLE = "sample@catalogue-corp.example.jp"
LIVE_SESSION = "live-2026-12"
# Monday 30 November 2026, 09:00 JST.
START = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)


class _Outbox:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.seen: set[Path] = set()
        self.pending: list[EmailMessage] = []

    def new(self) -> list[EmailMessage]:
        """The messages written since the last call (and not taken by `one`), oldest first."""
        files = sorted(set(self.directory.glob("*.eml")) - self.seen, key=lambda p: p.stat().st_mtime_ns)
        self.seen.update(files)
        for path in files:
            parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            self.pending.append(parsed)
        found, self.pending = self.pending, []
        return found

    def one(self, to: str) -> EmailMessage:
        """The one new message to `to`; the others stay pending."""
        messages = self.new()
        (message,) = [m for m in messages if str(m["To"]) == to]
        self.pending = [m for m in messages if m is not message]
        return message


def drill_mails(
    deps: Deps, *, email: str = STAFF, company: str = "株式会社カタログ"
) -> dict[str, EmailMessage]:
    """Every month's every variant, as `build_message` composes it for `email`."""
    return {
        f"drill {data['month']:02d}-{data['variant']}": message
        for data, message in drill_messages(deps, "catalogue", email=email, company=company, now=deps.now())
    }


def drill_messages(
    deps: Deps, prefix: str, *, email: str, company: str, now: datetime
) -> Iterator[tuple[dict[str, Any], EmailMessage]]:
    """Every month's every variant as a drill message record (`prefix-MONTH-VARIANT`) would hold
    it, with the mail `build_message` composes from it."""
    for month in MONTHS:
        for variant in VARIANTS:
            key = f"{prefix}-{month}-{variant}"
            data = new_message(
                deps, key, application_id="a", email=email, company=company, month=month,
                variant=variant, send_at=now, purpose="drill",
            )  # fmt: skip
            yield data, build_message(deps, Record(MESSAGE, key, data, 1, None), now=now)


def every_mail(store: Store, settings: Settings, clock: FixedClock) -> dict[str, EmailMessage]:
    clock.current = START
    outbox_dir = settings.data_dir / "catalogue-outbox"
    deps = Deps(store=store, mailer=OutboxMailer(outbox_dir), clock=clock, settings=settings)
    outbox = _Outbox(outbox_dir)
    mails = drill_mails(deps)

    # The drill application: the officer's confirmation, the acceptance, the outside participant's.
    form = {**DRILL_FORM, "officer_email": OFFICER, "participants": f"{STAFF}\n{OUTSIDER}"}
    cleaned, errors = validate_drill(form, chambers=load_chambers(settings.content_dir))
    assert cleaned is not None, errors
    add_checked(store, clock, STAFF.split("@")[1])  # branch staff checked the company's domain
    applied = drill_forms.apply(deps, cleaned, consent_version="test")
    mails["drill_confirm"] = outbox.one(OFFICER)
    token = deps.signer.sign(drill_forms.CONFIRM_PURPOSE, {"a": applied.application_id})
    assert drill_forms.confirm(deps, token).status == "accepted"
    mails["drill_accepted"] = outbox.one(OFFICER)
    mails["drill_participant"] = outbox.one(OUTSIDER)

    # Staff schedule it: the officer's mail with the window and the check sheet.
    result = schedule(deps, applied.application_id, days=1)
    send_schedule_notice(deps, result)
    mails["drill_scheduled"] = outbox.one(OFFICER)

    # The one-shot: confirmation, a second request, then the sample and its status page link.
    sample, errors = validate_oneshot({"email": SAMPLE, "company": "株式会社カタログ", "consent": "yes"})
    assert sample is not None, errors
    oneshot_forms.request(deps, sample, consent_version="test")
    mails["oneshot_confirm"] = outbox.one(SAMPLE)
    token = deps.signer.sign(oneshot_forms.PURPOSE, {"k": oneshot_forms.email_key(SAMPLE)})
    assert oneshot_forms.confirm(deps, token).status == "confirmed"
    send_due(deps)
    sample_mail, status_mail = outbox.new()
    mails["oneshot sample"], mails["oneshot_status"] = sample_mail, status_mail
    oneshot_forms.request(deps, sample, consent_version="test")
    mails["oneshot_already"] = outbox.one(SAMPLE)

    # The drill runs; the report goes to the officer; reveal and follow-up reach the staff.
    clock.advance(timedelta(days=7))
    assert send_due(deps).count("sent") == 1
    outbox.new()
    send_report_notice(deps, applied.application_id)
    mails["drill_report"] = outbox.one(OFFICER)
    clock.advance(timedelta(days=8))
    send_due(deps)
    mails["drill_reveal"] = outbox.one(STAFF)
    clock.advance(timedelta(days=14))
    send_due(deps)
    mails["drill_followup"] = outbox.one(STAFF)

    # The chamber's list of companies that took part.
    chamber = find_chamber(deps, "sapporo")
    send_feedback(deps, build_feedback(deps, chamber, start=None, end=None))
    (mails["chamber_feedback"],) = outbox.new()

    # A live seminar's reply, with its .ics invitation.
    clock.current = START
    seminar_form = {**SEMINAR_FORM, "session_id": LIVE_SESSION, "email": OFFICER}
    sessions = [s.id for s in load_sessions(settings.content_dir)]
    signup, errors = validate_seminar(
        seminar_form, session_ids=sessions, chambers=load_chambers(settings.content_dir)
    )
    assert signup is not None, errors
    seminar_forms.sign_up(deps, signup, consent_version="test")
    # A live seat is held only once the address confirms: press the link of the confirmation mail.
    mails["seminar_confirm"] = outbox.one(OFFICER)
    found = re.search(r"token=([\w.\-]+)", mails["seminar_confirm"].get_body(("plain",)).get_content())
    assert found, "the seminar confirmation mail carries its link"
    assert seminar_forms.confirm(deps, found[1]).status == "signed_up"
    mails["seminar_reply"] = outbox.one(OFFICER)
    return mails


SERVICE_MAILS = (
    "drill_confirm",
    "drill_participant",
    "drill_accepted",
    "drill_scheduled",
    "oneshot_confirm",
    "oneshot_status",
    "oneshot_already",
    "drill_report",
    "drill_reveal",
    "drill_followup",
    "chamber_feedback",
    "seminar_reply",
)
