"""The officer's check sheet (チェックシート): per participant, reported or not, when, what they
did (適切な動作) and notes (備考). Opened by a signed link that only the officer receives.

One `drill_check` record per drill message; a forwarded drill mail (see `inbound`) fills
`forwarded_at` on the same record, and the report takes the earlier of the two times.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from campaign_core.clock import JST
from campaign_core.deps import Deps
from campaign_core.drill_checks import FORWARDED, note_report
from campaign_core.drill_records import Drill, DrillCheck, DrillMessage
from campaign_core.records import CHECK, DRILL, MESSAGE
from drill_sender.services.drill_links import DrillLink

SHEET_PURPOSE = "check-sheet"
SHEET_MAX_AGE = timedelta(days=60)
MAX_NOTES = 500

# 適切な動作: what the participant did with the drill mail, as the officer saw it.
ACTIONS: tuple[tuple[str, str], ...] = (
    ("reported_unopened", "開かずに報告した"),
    ("reported_after_open", "開いてしまったが、すぐに報告した"),
    ("reported_after_click", "リンクを開いてしまったが、報告した"),
    ("reported_as_spam", "迷惑メールとして報告した"),
    ("deleted", "報告せずに削除した"),
    ("opened_no_report", "開いたが、報告しなかった"),
    ("clicked_no_report", "リンクを開き、報告しなかった"),
    ("unknown", "確認できなかった"),
)
ACTION_LABELS = dict(ACTIONS)


@dataclass(frozen=True)
class SheetRow:
    key: str  # the drill message key
    email: str
    reported: str  # "yes" | "no" | "" (not filled in yet)
    reported_at: datetime | None
    action: str
    notes: str
    forwarded_at: datetime | None  # the participant forwarded the drill mail to the report address
    complained_at: datetime | None = None  # ... or marked it as spam / junk (SES complaint feedback)
    updated_at: datetime | None = None  # the officer last saved this line

    @property
    def unseen_report(self) -> tuple[datetime, str] | None:
        """A report the participant made by themselves (forward or junk button) that the officer has
        not saved over yet: the check sheet shows it filled in, for the officer to keep or change."""
        seen = [
            (at, how)
            for at, how in ((self.forwarded_at, "forwarded"), (self.complained_at, "complained"))
            if at is not None and (not self.reported or self.updated_at is None or at > self.updated_at)
        ]
        return min(seen) if seen else None


@dataclass(frozen=True)
class Sheet:
    application_id: str
    company: str
    template: str
    rows: tuple[SheetRow, ...]


SHEET_LINK = DrillLink(SHEET_PURPOSE, "/t/sheet", SHEET_MAX_AGE)
sheet_url = SHEET_LINK.url
application_of = SHEET_LINK.application_of


def load_sheet(deps: Deps, application_id: str) -> Sheet:
    record = deps.store.get(DRILL, application_id)
    if record is None:
        raise KeyError(application_id)
    drill = Drill.from_record(record)
    messages = [DrillMessage.from_record(r) for r in deps.store.by_application(MESSAGE, application_id)]
    checks = {r.key: DrillCheck.from_record(r) for r in deps.store.by_application(CHECK, application_id)}
    rows = []
    for message in sorted(messages, key=lambda m: m.email):
        check = checks.get(message.key) or DrillCheck(key=message.key)
        rows.append(
            SheetRow(
                key=message.key,
                email=message.email,
                reported=check.reported,
                reported_at=check.reported_at,
                action=check.action,
                notes=check.notes,
                forwarded_at=check.forwarded_at,
                complained_at=check.complained_at,
                updated_at=check.updated_at,
            )
        )
    return Sheet(application_id, drill.company, drill.template, tuple(rows))


def local_input(instant: datetime | None) -> str:
    """A time as a `datetime-local` field shows it (JST, minutes)."""
    return instant.astimezone(JST).strftime("%Y-%m-%dT%H:%M") if instant else ""


# How a report the participant made by themselves is filled in (notes, and the action when known).
AUTO_NOTES = {"forwarded": "転送で報告", "complained": "迷惑メールとして報告"}
AUTO_ACTIONS = {"complained": "reported_as_spam"}


def form_values(sheet: Sheet) -> dict[str, str]:
    values: dict[str, str] = {}
    for row in sheet.rows:
        values[f"reported-{row.key}"] = row.reported
        values[f"reported_at-{row.key}"] = local_input(row.reported_at)
        values[f"action-{row.key}"] = row.action
        values[f"notes-{row.key}"] = row.notes
        auto = row.unseen_report
        if auto is not None:
            at, how = auto
            values[f"reported-{row.key}"] = "yes"
            if row.reported_at is None or at < row.reported_at:
                values[f"reported_at-{row.key}"] = local_input(at)
            values[f"action-{row.key}"] = row.action or AUTO_ACTIONS.get(how, "")
            if AUTO_NOTES[how] not in row.notes:
                values[f"notes-{row.key}"] = "\n".join(n for n in (row.notes, AUTO_NOTES[how]) if n)
    return values


def _parse_local(text: str) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    for pattern in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=JST)
        except ValueError:
            continue
    raise ValueError(text)


def save_sheet(deps: Deps, application_id: str, form: Mapping[str, str]) -> dict[str, str]:
    """Validate and store what the officer entered; returns the errors (field -> message), if any,
    and then stores nothing."""
    sheet = load_sheet(deps, application_id)
    errors: dict[str, str] = {}
    changes: dict[str, dict[str, Any]] = {}
    now = deps.now()
    for row in sheet.rows:
        reported = form.get(f"reported-{row.key}", "").strip()
        at_text = form.get(f"reported_at-{row.key}", "")
        action = form.get(f"action-{row.key}", "").strip()
        notes = form.get(f"notes-{row.key}", "").replace("\r\n", "\n").strip()
        if reported not in ("", "yes", "no"):
            errors[f"reported-{row.key}"] = "「報告あり」か「報告なし」を選んでください。"
        try:
            reported_at = _parse_local(at_text)
        except ValueError:
            errors[f"reported_at-{row.key}"] = "日時は 2026-12-01 10:30 のように入力してください。"
            reported_at = None
        if reported == "yes" and reported_at is None and f"reported_at-{row.key}" not in errors:
            errors[f"reported_at-{row.key}"] = "報告を受けた日時を入力してください。"
        if reported == "no" and reported_at is not None:
            errors[f"reported_at-{row.key}"] = "「報告なし」のときは、日時を空欄にしてください。"
        if reported_at is not None and reported_at > now + timedelta(minutes=5):
            errors[f"reported_at-{row.key}"] = "これから先の日時は入力できません。"
        if action and action not in ACTION_LABELS:
            errors[f"action-{row.key}"] = "一覧から選んでください。"
        if len(notes) > MAX_NOTES:
            errors[f"notes-{row.key}"] = f"備考は {MAX_NOTES} 文字までにしてください。"
        changes[row.key] = DrillCheck.changes(
            application_id=application_id, email=row.email, reported=reported, reported_at=reported_at,
            action=action, notes=notes, updated_at=now,
        )  # fmt: skip
    if errors:
        return errors
    for key, data in changes.items():
        if not deps.store.put_new(CHECK, key, data):
            deps.store.update(CHECK, key, data)
    return {}


def record_forwarded(deps: Deps, message_key: str, at: datetime) -> bool:
    """A participant forwarded the drill mail to the report address: keep the first time."""
    return note_report(deps.store, message_key, FORWARDED, at)
