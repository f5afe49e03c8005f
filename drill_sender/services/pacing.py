"""Pacing for a send-due run: the provider's rate limit, kept by waiting before each send."""

from __future__ import annotations

import math
from collections.abc import Callable


class Pacer:
    """At most `rate` sends per second: each send waits for its slot (monotonic time, injectable)."""

    def __init__(self, rate: float, monotonic: Callable[[], float], sleep: Callable[[float], None]) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._monotonic = monotonic
        self._sleep = sleep
        self._next = -math.inf

    def wait(self) -> None:
        if self.interval <= 0:
            return
        now = self._monotonic()
        if self._next > now:
            self._sleep(self._next - now)
            now = self._next
        self._next = now + self.interval
