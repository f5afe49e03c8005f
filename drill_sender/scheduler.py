"""The local scheduler: the same code as `campaign send-due`, every minute, in a daemon thread.

On AWS an EventBridge schedule invokes the same `send_due` in a Lambda; locally `make run` starts
this loop next to the web server. One failed run (the relay is down, the store is busy) is logged
and the loop goes on; the claims and leases in `send_due` make overlapping runs harmless.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from drill_sender.services.deps import DrillDeps
from drill_sender.services.send import SendSummary, send_due

log = logging.getLogger(__name__)


def _print_summary(summary: SendSummary) -> None:
    if summary.outcomes or summary.queued_oneshots:
        counts = {k: v for k, v in summary.as_dict().items() if k != "messages" and v}
        print(f"send-due: {counts}", flush=True)


class SchedulerLoop:
    def __init__(
        self,
        deps: DrillDeps,
        *,
        interval: float = 60.0,
        report: Callable[[SendSummary], None] | None = None,
    ) -> None:
        self.deps = deps
        self.interval = interval
        self.report = report or _print_summary
        self.runs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="drill-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the loop to stop and wait for a run in progress to finish its current message."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def run_once(self) -> SendSummary | None:
        try:
            summary = send_due(self.deps, stop=self._stop.is_set)
        except Exception:  # keep the loop alive; the next minute tries again
            log.exception("send-due failed")
            return None
        finally:
            self.runs += 1
        self.report(summary)
        return summary

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(self.interval)
