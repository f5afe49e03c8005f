"""The learning page of one drill mail ("これは訓練です"): the mail as it was sent, with its real
sender address and its clues, and what to do now.

The drill mails are the drill's answers, so no template stands on the public site (issue 11 §1).
This page is answered by the tracking app only, through a signed link: the click redirect (for the
message clicked), the reveal mail (for that participant's message) and the officer's report (for
the drill as a whole). The token is a signed id and resolves with one direct `get` by key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from markupsafe import Markup

from campaign_core.deps import Deps
from campaign_core.drill_records import Drill, DrillMessage
from campaign_core.records import DRILL, MESSAGE
from campaign_core.tokens import TokenError
from drill_sender.templates import DrillTemplate, load_template, preview_html

LEARN_PURPOSE = "learn"
# The reveal goes out about a week after the drill and the follow-up a week later; the report is
# read for weeks after that. Half a year covers all of it and keeps old links from living forever.
LEARN_MAX_AGE = timedelta(days=183)
VARIANT_LABELS = {"obvious": "見分けやすい例", "subtle": "見分けにくい例"}
# The officer's report shows the drill's mail, not one participant's copy.
ANY_PARTICIPANT = "(参加者のメールアドレス)"


@dataclass(frozen=True)
class LearnMail:
    """What the learning page shows of one sent drill mail."""

    template: DrillTemplate
    label: str  # 見分けやすい例 / 見分けにくい例
    sender_name: str
    sender_address: str
    recipient_email: str
    company: str
    purpose: str  # "drill", "oneshot", or "report" (the officer's view of the whole drill)
    body: Markup  # the HTML body with inert links and no pixel


def learn_token(deps: Deps, *, message: str | None = None, application: str | None = None) -> str:
    """A token for one sent message (click, reveal) or for a whole drill (the officer's report)."""
    payload = {"m": message} if message else {"a": application}
    return deps.signer.sign(LEARN_PURPOSE, payload)


def learn_path(token: str) -> str:
    return f"/t/learn/{token}"


def learn_url(deps: Deps, *, message: str | None = None, application: str | None = None) -> str:
    return deps.base_url + learn_path(learn_token(deps, message=message, application=application))


def load_learn_mail(deps: Deps, token: str) -> LearnMail:
    """The mail behind a learning-page token; `TokenError` ("invalid" / "expired") otherwise,
    also for a message that was never sent."""
    payload = deps.signer.unsign(LEARN_PURPOSE, token, max_age=LEARN_MAX_AGE)
    if not isinstance(payload, dict):
        raise TokenError("invalid")
    message_key, application_id = payload.get("m"), payload.get("a")
    mail: DrillMessage | Drill
    if isinstance(message_key, str):
        record = deps.store.get(MESSAGE, message_key)
        message = DrillMessage.from_record(record) if record is not None else None
        if message is None or message.state != "sent":
            raise TokenError("invalid")
        mail, email, purpose = message, message.email, message.purpose or "drill"
    elif isinstance(application_id, str):
        record = deps.store.get(DRILL, application_id)
        if record is None:
            raise TokenError("invalid")
        mail, email, purpose = Drill.from_record(record), ANY_PARTICIPANT, "report"
    else:
        raise TokenError("invalid")
    template = load_template(mail.month, mail.variant)
    company = mail.company
    body = Markup(  # noqa: S704 - rendered by Jinja with autoescape on from our own template
        preview_html(template, recipient_email=email, company=company)
    )
    return LearnMail(
        template=template,
        label=VARIANT_LABELS[template.variant],
        sender_name=template.sender_name,
        sender_address=f"{template.sender_local_part}@{deps.drill_domain}",
        recipient_email=email,
        company=company,
        purpose=purpose,
        body=body,
    )
