"""Reports the participant made without the officer: a forwarded drill mail (the drill's inbound
path) and a spam/junk complaint about it (SES complaint feedback, handled in the core's SES events
entry). Both land on the participant's check sheet line (`drill_check`, keyed by the drill message
key) as the first time seen; the officer can still change the line on the check sheet.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from campaign_core.drill_records import DrillCheck, DrillMessage
from campaign_core.records import CHECK, MESSAGE
from campaign_core.store import Store

FORWARDED = "forwarded_at"  # forwarded to the report address
COMPLAINED = "complained_at"  # marked as spam / junk in the mail program (reported as suspicious)

# The Message-ID every drill mail is sent with (drill_sender.services.schedule.message_id_header).
_DRILL_MESSAGE_ID = re.compile(r"<drill\.([0-9a-f]{8,64})@[^<>@\s]+>")


def drill_message_key(message_id: str) -> str | None:
    """The drill message key inside a drill mail's Message-ID header, if it is one."""
    found = _DRILL_MESSAGE_ID.fullmatch(message_id.strip())
    return found.group(1) if found else None


def note_report(store: Store, message_key: str, field: str, at: datetime) -> bool:
    """Keep the first `field` time (FORWARDED or COMPLAINED) on the message's check line; False when
    the key names no sent drill mail. Direct gets by key only."""
    record = store.get(MESSAGE, message_key)
    message = DrillMessage.from_record(record) if record is not None else None
    if message is None or message.state != "sent" or message.purpose == "oneshot":
        return False
    base = DrillCheck.changes(application_id=message.application_id, email=message.email, **{field: at})
    if store.put_new(CHECK, message_key, base):
        return True
    for _attempt in range(5):
        stored = store.get(CHECK, message_key)
        if stored is None:
            if store.put_new(CHECK, message_key, base):
                return True
            continue
        current = DrillCheck.from_record(stored)
        if getattr(current, field) is not None:
            return True  # the first one counts
        if store.update(
            CHECK, message_key, DrillCheck.changes(**{field: at}), expect_version=current.version
        ):
            return True
    return False


def complaint_message_key(notification: Mapping[str, Any]) -> str | None:
    """The drill message an SES complaint is about: its Message-ID as SES saw it when sending."""
    mail = notification.get("mail", {}) or {}
    candidates = [str((mail.get("commonHeaders", {}) or {}).get("messageId", "") or "")]
    candidates += [
        str(h.get("value", ""))
        for h in mail.get("headers", []) or []
        if str(h.get("name", "")).lower() == "message-id"
    ]
    for candidate in candidates:
        key = drill_message_key(candidate)
        if key:
            return key
    return None
