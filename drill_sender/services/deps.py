"""What every drill service takes, and the settings it reads (all from `Settings.extra`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from campaign_core.clock import Clock
from campaign_core.mail import Mailer, parse_address
from campaign_core.settings import Settings
from campaign_core.store import Store
from campaign_core.tokens import Signer

DEFAULT_RATE = 5.0  # messages per second; a shared relay or SES sandbox allows far fewer than 50
DEFAULT_LEASE = timedelta(minutes=10)  # far longer than one SMTP send (timeout 30 s)
DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=2)
DEFAULT_TRACKING_DAYS = 90


@dataclass(frozen=True)
class DrillDeps:
    store: Store
    mailer: Mailer
    clock: Clock
    settings: Settings
    # Pacing uses its own monotonic time and sleep, so tests can pace without waiting.
    monotonic: Callable[[], float] = field(default=time.monotonic)
    sleep: Callable[[float], None] = field(default=time.sleep)

    @property
    def signer(self) -> Signer:
        return Signer(self.settings.secret_key, self.clock)

    def now(self) -> datetime:
        return self.clock.now().astimezone(UTC)

    def _extra(self, name: str, default: str) -> str:
        return self.settings.extra.get(name, default).strip() or default

    @property
    def rate(self) -> float:
        """`CAMPAIGN_SEND_RATE`: messages per second (0 or less: no pacing)."""
        return float(self._extra("CAMPAIGN_SEND_RATE", str(DEFAULT_RATE)))

    @property
    def lease(self) -> timedelta:
        """`CAMPAIGN_SEND_LEASE_SECONDS`: how long a claim holds before another run may retry it."""
        return timedelta(seconds=float(self._extra("CAMPAIGN_SEND_LEASE_SECONDS", "600")))

    @property
    def max_attempts(self) -> int:
        return int(self._extra("CAMPAIGN_SEND_MAX_ATTEMPTS", str(DEFAULT_MAX_ATTEMPTS)))

    @property
    def backoff(self) -> timedelta:
        """`CAMPAIGN_SEND_BACKOFF_SECONDS`: the first retry's wait; doubled after each failure."""
        return timedelta(seconds=float(self._extra("CAMPAIGN_SEND_BACKOFF_SECONDS", "60")))

    @property
    def tracking_max_age(self) -> timedelta:
        """`CAMPAIGN_TRACKING_DAYS`: how long the links of a drill mail are recorded."""
        return timedelta(days=int(self._extra("CAMPAIGN_TRACKING_DAYS", str(DEFAULT_TRACKING_DAYS))))

    @property
    def drill_domain(self) -> str:
        """`CAMPAIGN_DRILL_DOMAIN`: the drill mails' sending domain (default: that of `mail_from`)."""
        domain = self.settings.extra.get("CAMPAIGN_DRILL_DOMAIN", "").strip()
        return domain or parse_address(self.settings.mail_from, header="From").domain
