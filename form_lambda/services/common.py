"""The small rules the form services share: their mail templates, record keys of addresses, the
daily mail cap per mailbox, the maintenance switch (every service takes `campaign_core.deps.Deps`)."""

from __future__ import annotations

import hashlib
from datetime import datetime, time, timedelta
from pathlib import Path

from campaign_core.clock import JST, Clock, iso
from campaign_core.deps import Deps
from campaign_core.emails import mailbox_key
from campaign_core.records import MAIL_COUNT, SETTING
from campaign_core.settings import Settings
from campaign_core.store import Store

MAIL_TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "mail"
MAINTENANCE_KEY = "maintenance"


def email_key(address: str) -> str:
    """A record key for an address: fixed length, no personal data in the key itself."""
    return hashlib.sha256(address.lower().encode("utf-8")).hexdigest()[:40]


def take_mail_quota(deps: Deps, address: str) -> bool:
    """Count one form mail to the mailbox behind `address` today (JST); False when the mailbox has
    had `CAMPAIGN_MAILS_PER_ADDRESS_DAY` already, whoever asked for them (then send nothing).

    One counter per mailbox and day in the store, shared by all forms and every Lambda container;
    `taro+1@`, `Taro@` and `taro@` are one mailbox (`mailbox_key`). It expires the day after."""
    limit = deps.settings.forms.mails_per_address_day
    if limit <= 0:
        return True
    day = deps.now().astimezone(JST).date()
    key = f"{email_key(mailbox_key(address))}:{day.isoformat()}"
    # The day's first mail writes the counter with its expiry (the day after next); later ones
    # count up atomically. One write per mail either way.
    expires = datetime.combine(day + timedelta(days=2), time(), tzinfo=JST)
    if deps.store.put_new(MAIL_COUNT, key, {"sent": 1}, expires_at=expires):
        return True
    return deps.store.increment(MAIL_COUNT, key, "sent", limit=limit) is not None


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
