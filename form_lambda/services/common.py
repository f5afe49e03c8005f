"""What every form service takes (store, mailer, clock, settings) and the small rules they share:
timestamps, signed links, mails, the maintenance switch."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from campaign_core.clock import Clock, iso
from campaign_core.mail import Mailer, compose
from campaign_core.records import SETTING
from campaign_core.settings import Settings
from campaign_core.store import Store
from campaign_core.tokens import Signer
from form_lambda.rendering import content_yaml

MAIL_TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "mail"
CLAIM_HOURS_DEFAULT = 72
MAINTENANCE_KEY = "maintenance"


@dataclass(frozen=True)
class Deps:
    store: Store
    mailer: Mailer
    clock: Clock
    settings: Settings

    @property
    def signer(self) -> Signer:
        return Signer(self.settings.secret_key, self.clock)

    def now(self) -> datetime:
        return self.clock.now().astimezone(UTC)

    @property
    def confirm_window(self) -> timedelta:
        """How long an unconfirmed application holds its office and its link stays valid."""
        hours = int(self.settings.extra.get("CAMPAIGN_CLAIM_HOURS", CLAIM_HOURS_DEFAULT))
        return timedelta(hours=hours)

    def link(self, path: str, **query: str) -> str:
        base = self.settings.base_url.rstrip("/")
        return f"{base}{path}" + (f"?{urlencode(query)}" if query else "")

    def organisation(self) -> dict[str, Any]:
        data = content_yaml(self.settings.content_dir, "organisation") or {}
        return dict(data)

    def send(
        self,
        name: str,
        *,
        to: str,
        values: Mapping[str, Any],
        attachments: Sequence[tuple[str, bytes, str]] = (),
    ) -> str:
        message: EmailMessage = compose(
            MAIL_TEMPLATES,
            name,
            to=to,
            sender=self.settings.mail_from,
            values={**values, "organisation": self.organisation(), "site_url": self.link("/")},
            attachments=attachments,
            now=self.clock.now(),
        )
        return self.mailer.send(message)


def email_key(address: str) -> str:
    """A record key for an address: fixed length, no personal data in the key itself."""
    return hashlib.sha256(address.lower().encode("utf-8")).hexdigest()[:40]


def maintenance_message(store: Store, settings: Settings) -> str | None:
    """The notice when intake is paused (setting `CAMPAIGN_MAINTENANCE` or the store switch the staff
    command flips), else None."""
    from_env = settings.extra.get("CAMPAIGN_MAINTENANCE", "").strip()
    if from_env and from_env.lower() not in ("0", "off", "false", "no"):
        return "" if from_env.lower() in ("1", "on", "true", "yes") else from_env
    record = store.get(SETTING, MAINTENANCE_KEY)
    if record is not None and record.data.get("on"):
        return str(record.data.get("message", "") or "")
    return None


def set_maintenance(store: Store, clock: Clock, *, on: bool, message: str = "") -> None:
    """Pause or resume intake (called by the staff command)."""
    record = store.get(SETTING, MAINTENANCE_KEY)
    changes = {"on": on, "message": message, "changed_at": iso(clock.now())}
    if record is None and store.put_new(SETTING, MAINTENANCE_KEY, changes):
        return
    store.update(SETTING, MAINTENANCE_KEY, changes)
