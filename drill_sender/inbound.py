"""Forwarded drill mails: a participant who forwards the drill mail to the drill's report address
has reported it, and the time it arrives is the report time.

The forwarded mail is matched by the tracking token in it (every link and the pixel of a drill mail
carry the recipient's signed token, and forwards keep them: inline, quoted, or the original attached
as message/rfc822). Locally an SMTP listener (`local/report_listener.py`) receives the forwards; on AWS,
SES receiving hands the same raw bytes to `record_report`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from typing import Any

from campaign_core.deps import Deps
from campaign_core.tokens import TokenError
from drill_sender.services.checksheet import record_forwarded
from drill_sender.templates import TRACK_PURPOSE

log = logging.getLogger(__name__)

# /t/o/<token>.gif and /t/c/<token>?l=..., the token being itsdangerous' payload.stamp.signature.
_TRACKING = re.compile(r"/t/[oc]/([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)")
MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class InboundResult:
    status: str  # "recorded" | "unmatched"
    message_key: str | None = None


def _texts(message: Message) -> list[str]:
    """Every text the mail holds: headers and text parts, also inside attached messages."""
    found: list[str] = [f"{name}: {value}" for name, value in message.items()]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                charset = part.get_content_charset() or "utf-8"
                found.append(payload.decode(charset, errors="replace"))
        elif part.get_content_type() == "message/rfc822":
            for inner in part.get_payload() if isinstance(part.get_payload(), list) else []:
                if isinstance(inner, Message):
                    found.extend(f"{name}: {value}" for name, value in inner.items())
    return found


def match_token(deps: Deps, raw: bytes) -> str | None:
    """The drill message key behind the first genuine tracking token in a mail, if any."""
    parsed: EmailMessage | Message = message_from_bytes(raw[:MAX_BYTES], policy=policy.compat32)
    for text in _texts(parsed):
        for token in _TRACKING.findall(text.replace("=\r\n", "").replace("=\n", "")):
            try:
                payload: Any = deps.signer.unsign(TRACK_PURPOSE, token, max_age=deps.tracking_max_age)
            except TokenError:
                continue
            if isinstance(payload, dict) and isinstance(payload.get("m"), str):
                return str(payload["m"])
    return None


def record_report(deps: Deps, raw: bytes) -> InboundResult:
    key = match_token(deps, raw)
    if key is None or not record_forwarded(deps, key, deps.now()):
        return InboundResult("unmatched")
    return InboundResult("recorded", key)


def report_address(deps: Deps) -> str:
    """`CAMPAIGN_REPORT_ADDRESS`, by default report@ the drill domain."""
    return deps.settings.send.report_address or f"report@{deps.drill_domain}"
