"""Membership leads for HQ: non-members who agreed to hear from the association, with what they
joined, their chamber, whether the kit already showed them the membership offer (the seminar reply,
the acceptance mail and the report mail carry it and stamp `membership_offered_at` on their record),
and the consent (text version and time) the lead rests on. Leads come ordered by chamber.

The forms ask for one consent (`content/consent.yml`), and its text covers being contacted: the
association, the co-hosting chambers and seminar partners may send news of seminars, events and
services (for non-members, an invitation to join, as the privacy page says). A record counts only
when it carries that consent with a version and a time; a drill application counts only once the
officer confirmed the address (double opt-in), and an address that bounced or complained is never a
lead. Nobody else appears, whatever the filters.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from campaign_core.clock import JST
from campaign_core.csvsafe import safe_cell
from campaign_core.drill_records import Drill
from campaign_core.records import APPLICATION, DRILL, SIGNUP, SUPPRESSED
from campaign_core.store import Store
from hq.retention import parse_time

NON_MEMBER = "non_member"
JOINED_LABELS = {"seminar": "セミナー", "drill": "訓練", "report": "訓練レポート受領"}
CSV_HEADER = (
    "メールアドレス",
    "お名前",
    "会社名",
    "商工会議所",
    "都道府県",
    "参加したもの",
    "同意した文章の版",
    "同意の日時",
    "入会のご案内",
)


def consent_of(data: Mapping[str, Any], now: datetime) -> tuple[str, datetime] | None:
    """(version, time) of the record's consent, or None when it has no valid one."""
    consent = data.get("consent")
    if not isinstance(consent, Mapping):
        return None
    version = consent.get("version")
    at = parse_time(consent.get("at"))
    if not isinstance(version, str) or not version.strip() or at is None or at > now:
        return None
    return version, at


@dataclass
class Lead:
    email: str
    name: str
    company: str
    chamber_code: str
    chamber_name: str
    prefecture: str
    consent_version: str
    consent_at: datetime
    joined: set[str] = field(default_factory=set)
    chambers: set[str] = field(default_factory=set)
    offered_at: datetime | None = None  # the latest mail that carried the membership offer

    def joined_labels(self) -> str:
        return "・".join(JOINED_LABELS[k] for k in JOINED_LABELS if k in self.joined)

    def offer_label(self) -> str:
        """ "案内済み(2026-12-01)" once a mail carried the membership offer, else "未案内"."""
        if self.offered_at is None:
            return "未案内"
        return f"案内済み({self.offered_at.astimezone(JST):%Y-%m-%d})"


@dataclass(frozen=True)
class _Source:
    email: str
    name: str
    data: Mapping[str, Any]
    joined: tuple[str, ...]
    eligible: bool = True
    offered_at: datetime | None = None


def _sources(store: Store) -> Iterable[_Source]:
    for signup in store.query(SIGNUP):
        d = signup.data
        offered = parse_time(d.get("membership_offered_at"))
        # A live signup still pending: nobody proved the address (anyone may have typed it).
        eligible = d.get("status") != "pending"
        yield _Source(
            str(d.get("email", "")), str(d.get("name", "")), d, ("seminar",), eligible, offered_at=offered
        )
    reported = {d.key: d for d in map(Drill.from_record, store.query(DRILL)) if d.report_sent_at}
    for application in store.query(APPLICATION):
        d = application.data
        # Unconfirmed: not a lead (nobody proved the address), but it still says who is a member.
        joined = ("drill", "report") if application.key in reported else ("drill",)
        eligible = d.get("status") == "accepted"
        stamps = [parse_time(d.get("membership_offered_at"))]
        drill = reported.get(application.key)
        stamps.append(drill.membership_offered_at if drill is not None else None)
        offered = max((at for at in stamps if at is not None), default=None)
        name = str(d.get("officer_name", ""))
        yield _Source(str(d.get("officer_email", "")), name, d, joined, eligible, offered)


def _chamber(data: Mapping[str, Any]) -> tuple[str, str]:
    chamber = data.get("chamber")
    if isinstance(chamber, Mapping):
        return str(chamber.get("code", "") or ""), str(chamber.get("name", "") or "")
    return "", ""


def build_leads(
    store: Store, now: datetime, *, since: datetime | None = None, chamber: str | None = None
) -> list[Lead]:
    """Leads ordered by chamber, then address (a chamber's leads together, those with none last);
    `since` keeps those whose latest consent is at or after it."""
    members: set[str] = set()
    leads: dict[str, Lead] = {}
    for source in _sources(store):
        address = source.email.strip().lower()
        if "@" not in address:
            continue
        if source.data.get("member") == "member":
            members.add(address)
        consent = consent_of(source.data, now)
        if not source.eligible or consent is None or source.data.get("member") != NON_MEMBER:
            continue
        code, name = _chamber(source.data)
        lead = leads.get(address)
        if lead is None or consent[1] > lead.consent_at:
            previous = lead
            lead = Lead(
                email=address,
                name=source.name,
                company=str(source.data.get("company", "")),
                chamber_code=code,
                chamber_name=name,
                prefecture=str(source.data.get("prefecture", "")),
                consent_version=consent[0],
                consent_at=consent[1],
            )
            if previous is not None:
                lead.joined |= previous.joined
                lead.chambers |= previous.chambers
                lead.offered_at = previous.offered_at
            leads[address] = lead
        lead.joined.update(source.joined)
        if source.offered_at is not None and (lead.offered_at is None or source.offered_at > lead.offered_at):
            lead.offered_at = source.offered_at
        lead.chambers.update(part.lower() for part in (code, name) if part)
    suppressed = {r.key.lower() for r in store.query(SUPPRESSED)}
    wanted = chamber.strip().lower() if chamber else ""
    found = [
        lead
        for address, lead in sorted(leads.items())
        if address not in members
        and address not in suppressed
        and (since is None or lead.consent_at >= since)
        and (not wanted or wanted in lead.chambers)
    ]
    return sorted(found, key=lambda lead: (not lead.chamber_name, lead.chamber_name, lead.email))


def render_csv(leads: Iterable[Lead]) -> bytes:
    """UTF-8 with a byte order mark (Excel), every cell safe from formula execution."""

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for lead in leads:
        writer.writerow(
            [
                safe_cell(cell)
                for cell in (
                    lead.email,
                    lead.name,
                    lead.company,
                    lead.chamber_name,
                    lead.prefecture,
                    lead.joined_labels(),
                    lead.consent_version,
                    lead.consent_at.astimezone(JST).strftime("%Y-%m-%d %H:%M"),
                    lead.offer_label(),
                )
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")
