"""SES's bounce and complaint notifications (configuration set -> SNS -> `campaign_core.lambda_entry`).

`record_sns_event` turns each notification into entries of the suppression list
(`campaign_core.mail.suppression`). A complaint about a drill mail is the participant doing the right
thing (marking it as junk is reporting it as suspicious): it is also noted on their check sheet
line, and the reveal mail still reaches them, so they learn it was a drill.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from campaign_core.clock import Clock
from campaign_core.drill_checks import COMPLAINED, complaint_message_key, note_report
from campaign_core.mail.suppression import address_key, suppress
from campaign_core.store import Store


def _recipients(items: Iterable[Mapping[str, Any]]) -> list[str]:
    return [str(item["emailAddress"]) for item in items if item.get("emailAddress")]


def addresses_to_suppress(notification: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(address, reason, detail) for each recipient an SES bounce or complaint names.

    Both shapes are read: event publishing (`eventType`, from a configuration set) and identity
    notifications (`notificationType`). Only permanent bounces suppress: a full mailbox or a
    greylisting server (transient) may take mail again tomorrow."""
    kind = str(notification.get("eventType") or notification.get("notificationType") or "")
    if kind == "Bounce":
        bounce = notification.get("bounce", {})
        if bounce.get("bounceType") != "Permanent":
            return []
        detail = f"{bounce.get('bounceType')}/{bounce.get('bounceSubType', '')}"
        return [(a, "bounce", detail) for a in _recipients(bounce.get("bouncedRecipients", []))]
    if kind == "Complaint":
        complaint = notification.get("complaint", {})
        detail = str(complaint.get("complaintFeedbackType", "") or "complaint")
        return [(a, "complaint", detail) for a in _recipients(complaint.get("complainedRecipients", []))]
    return []


def record_sns_event(store: Store, clock: Clock, event: Mapping[str, Any]) -> list[str]:
    """Handle the event Lambda gets from SNS; returns the addresses newly suppressed."""
    added: list[str] = []
    for record in event.get("Records", []):
        message = json.loads(record["Sns"]["Message"])
        drill_report = _note_drill_complaint(store, clock, message)
        for email, reason, detail in addresses_to_suppress(message):
            if suppress(
                store, email, reason=reason, detail=detail, now=clock.now(), reveal_allowed=drill_report
            ):
                added.append(address_key(email))
    return added


def _note_drill_complaint(store: Store, clock: Clock, notification: Mapping[str, Any]) -> bool:
    """A complaint about a drill mail, noted as that participant's report (True when it was one)."""
    kind = str(notification.get("eventType") or notification.get("notificationType") or "")
    key = complaint_message_key(notification) if kind == "Complaint" else None
    if key is None:
        return False
    # The time the feedback reached us, as for a forward (the provider's own stamp runs on its clock).
    return note_report(store, key, COMPLAINED, clock.now())
