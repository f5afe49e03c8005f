"""Record kinds and the domain rules both apps apply to them.

Every kind is named once, here: the forms write applications, the drill reads them, HQ purges and
forgets them, and each imports the name from this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Literal

APPLICATION = "application"  # a drill application (one per office)
OFFICE_CLAIM = "office_claim"  # the office key an application holds (unique)
SIGNUP = "seminar_signup"
SEATS = "seat_counter"  # taken seats of a live seminar session
ONESHOT = "oneshot"  # a one-shot sample request
DRILL = "drill"  # a scheduled drill of one application
MESSAGE = "drill_message"  # one drill (or one-shot) mail to one participant
EVENT = "drill_event"  # one open or click of a drill mail
CHECK = "drill_check"  # the officer's check sheet line for one participant
NOTICE = "drill_notice"  # a reveal or follow-up mail to one participant
SUPPRESSED = "suppressed"  # an address that bounced for good or complained
AUDIT = "audit"  # one staff command on personal data
SETTING = "setting"  # switches staff set (maintenance)
CHECKED_DOMAIN = "checked_domain"  # a company mail domain staff checked (key: the domain)
MAIL_COUNT = "mail_count"  # form mails to one mailbox in one day (key: hash and JST date; expires)
RATE_COUNT = "rate_count"  # one rate-limit window's hits (key: hash of the limit's key; expires)
CHAMBER_DRILL = "chamber_drill"  # a chamber's drill, keyed for its listing (`chamber_drill_key`)
CAMPAIGN_SUMMARY = "campaign_summary"  # the report figures of a fiscal year's drills, summed (no one named)

#: Every kind that may hold personal data (`forget` searches them all; tests check none is missed).
PERSONAL_KINDS = (
    APPLICATION,
    OFFICE_CLAIM,
    SIGNUP,
    ONESHOT,
    DRILL,
    MESSAGE,
    EVENT,
    CHECK,
    NOTICE,
    SUPPRESSED,
)

# Participant states: trusted by the officer's domain, waiting for their own confirmation, confirmed.
TRUSTED = "domain"
WAITING = "unconfirmed"
CONFIRMED = "confirmed"


def mailable_participants(application: Mapping[str, Any]) -> list[str]:
    """The addresses drill mail may go to: in the company domain, or confirmed by their own link."""
    return [
        str(p["email"])
        for p in application.get("participants", [])
        if application.get("status") == "accepted" and p.get("status") in (TRUSTED, CONFIRMED)
    ]


def event_prefix(message_key: str) -> str:
    """Every event of a message is keyed `<message key>.<time>.<random>`: its events share this
    prefix, so one message's events are a range read of the base key (`Store.with_prefix`)."""
    return f"{message_key}."


def drill_due_at(data: Mapping[str, Any]) -> str | None:
    """A drill stays in the store's `due` index (its window's start) while the scheduler still has
    work on it: the reveal and follow-up not yet planned, or the report neither sent nor held."""
    closed = bool(data.get("followups_planned")) and data.get("report_state") in ("sent", "held")
    return None if closed else (str(data.get("window_start") or "") or None)


def oneshot_due_at(data: Mapping[str, Any]) -> str | None:
    """A one-shot request is in the `due` index from its confirmation until it is queued."""
    if data.get("status") == "confirmed" and data.get("send_status") == "waiting":
        return str(data.get("confirmed_at") or "") or "1970-01-01T00:00:00+00:00"
    return None


#: The time fields the store indexes (`Store.due`): what the scheduler has to do, and when the daily
#: purge should look at a record again.
TimeIndex = Literal["due_at", "purge_at"]

#: The kinds the daily purge finds through the store's `purge` index, each with the data field its
#: retention period starts from. A record's `purge_at` is when purge should next look at it: the
#: store sets it to the period's start whenever that field is written (`store.with_period`),
#: which is never later than the period's end, whatever the retention settings; purge then moves it
#: on to the exact end (`hq/retention.py`). Messages, checks, notices, office claims and chamber
#: listings carry an `application_id` and go with their application (or one-shot request).
PERIOD_STARTS = {
    APPLICATION: "applied_at",
    DRILL: "window_end",
    SIGNUP: "signed_up_at",
    ONESHOT: "requested_at",
    EVENT: "at",
}


def period_start(kind: str, data: Mapping[str, Any]) -> str | None:
    """The `purge_at` a record of `kind` gets when its period's start field is written (None: the
    kind is not purged by its own period, or the field is empty)."""
    field = PERIOD_STARTS.get(kind)
    return (str(data.get(field) or "") or None) if field else None


def chamber_prefix(chamber_code: str) -> str:
    return f"{chamber_code}."


def chamber_drill_key(chamber: Mapping[str, Any], started: date, application_id: str) -> str | None:
    """The key of a drill in its chamber's listing, `<chamber code>.<first day>.<application>`: a
    chamber's drills are one range read of the base key, in date order (chamber feedback). None when
    the applicant named no chamber from the list (nothing to list it under)."""
    code = str(chamber.get("code", "") or "")
    return f"{chamber_prefix(code)}{started.isoformat()}.{application_id}" if code else None
