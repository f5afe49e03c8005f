"""The audit log: one record of kind "audit" for every staff command that reads or changes personal
data. A line says who (the `CAMPAIGN_STAFF` variable, else the operating-system user), when, which
command and what it touched, as counts and filters; never an e-mail address or a name."""

from __future__ import annotations

import getpass
import os
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from campaign_core.clock import Clock
from campaign_core.records import AUDIT
from campaign_core.store import Record, Store


def staff_member(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    named = env.get("CAMPAIGN_STAFF", "").strip()
    if named:
        return named
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name for this uid (a container)
        return f"uid:{os.getuid()}"


def record(
    store: Store,
    clock: Clock,
    command: str,
    details: Mapping[str, Any] | None = None,
    *,
    who: str | None = None,
) -> str:
    """Write one audit line; returns its key (time first, so keys sort by time)."""
    now = clock.now().astimezone(UTC)
    key = f"{now.isoformat()}#{secrets.token_hex(4)}"
    store.put_new(
        AUDIT,
        key,
        {
            "who": who or staff_member(),
            "at": now.isoformat(),
            "command": command,
            "details": dict(details or {}),
        },
    )
    return key


def lines(store: Store, *, since: datetime | None = None) -> list[Record]:
    found = store.query(AUDIT)
    if since is None:
        return found
    start = since.astimezone(UTC).isoformat()
    return [r for r in found if str(r.data.get("at", "")) >= start]
