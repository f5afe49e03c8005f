"""The small rules the form services share: their mail templates, record keys of addresses, the
maintenance switch (every service takes `campaign_core.deps.Deps`)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from campaign_core.clock import Clock, iso
from campaign_core.records import SETTING
from campaign_core.settings import Settings
from campaign_core.store import Store

MAIL_TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "mail"
MAINTENANCE_KEY = "maintenance"


def email_key(address: str) -> str:
    """A record key for an address: fixed length, no personal data in the key itself."""
    return hashlib.sha256(address.lower().encode("utf-8")).hexdigest()[:40]


def maintenance_message(store: Store, settings: Settings) -> str | None:
    """The notice when intake is paused (setting `CAMPAIGN_MAINTENANCE` or the store switch the staff
    command flips), else None."""
    from_env = settings.forms.maintenance
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
