"""Forwarded drill mails: a participant who forwards the drill mail to the drill's report address
has reported it, and the time it arrives is the report time.

The forwarded mail is matched by the tracking token in it (every link and the pixel of a drill mail
carry the recipient's signed token, and forwards keep them: inline, quoted, the original attached as
message/rfc822, an `.eml` or an Outlook `.msg`, links rewritten by a gateway; see `inbound_mail` and
`inbound_links`). Whoever forwards it, the participant or the officer passing reports on, the
participant whose token it carries is credited, at the time the forward arrives. Locally an SMTP
listener (`local/report_listener.py`) receives the forwards; on AWS, SES receiving hands the same
raw bytes to `record_report`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from campaign_core.deps import Deps
from campaign_core.tokens import TokenError
from drill_sender.inbound_links import candidate_tokens
from drill_sender.inbound_mail import mail_texts
from drill_sender.services.checksheet import record_forwarded
from drill_sender.templates import TRACK_PURPOSE

log = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024  # an Outlook .msg with the drill mail inside is a few hundred KB


@dataclass(frozen=True)
class InboundResult:
    status: str  # "recorded" | "unmatched"
    message_key: str | None = None  # the first participant credited
    message_keys: tuple[str, ...] = ()  # every one (an officer may pass on several reports at once)


def match_tokens(deps: Deps, raw: bytes) -> list[str]:
    """The drill message keys behind the genuine tracking tokens of a mail, in order, once each."""
    keys: dict[str, None] = {}
    for token in candidate_tokens(mail_texts(raw[:MAX_BYTES])):
        try:
            payload: Any = deps.signer.unsign(TRACK_PURPOSE, token, max_age=deps.tracking_max_age)
        except TokenError:
            continue
        if isinstance(payload, dict) and isinstance(payload.get("m"), str):
            keys.setdefault(str(payload["m"]), None)
    return list(keys)


def match_token(deps: Deps, raw: bytes) -> str | None:
    """The first drill message key of a mail, if any."""
    keys = match_tokens(deps, raw)
    return keys[0] if keys else None


def record_report(deps: Deps, raw: bytes) -> InboundResult:
    now = deps.now()
    credited = tuple(key for key in match_tokens(deps, raw) if record_forwarded(deps, key, now))
    if not credited:
        return InboundResult("unmatched")
    return InboundResult("recorded", credited[0], credited)
