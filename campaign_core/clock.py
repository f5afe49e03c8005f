"""The clock port. Services take a clock; nothing in the core calls `datetime.now()` itself."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Protocol

JST = timezone(timedelta(hours=9), "JST")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock pinned to one instant (rehearsals, tests); `advance` moves it."""

    current: datetime

    def __post_init__(self) -> None:
        if self.current.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current = self.current + delta


def parse_instant(text: str) -> datetime:
    """ISO 8601 to an aware datetime; a naive value is read as JST, the campaign's local time."""
    value = datetime.fromisoformat(text.strip())
    return value if value.tzinfo else value.replace(tzinfo=JST)


def iso(instant: datetime) -> str:
    """How instants are stored: ISO 8601 in UTC."""
    return instant.astimezone(UTC).isoformat()


def parse_iso(text: str) -> datetime:
    """A stored instant back; a naive value is read as UTC (how records store them)."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def clock_from_env(environ: Mapping[str, str]) -> Clock:
    """`CAMPAIGN_NOW` pins "now" for the command and the server, so staff can rehearse a drill."""
    pinned = environ.get("CAMPAIGN_NOW")
    return FixedClock(parse_instant(pinned)) if pinned else SystemClock()
