"""The local server's periodic jobs: what EventBridge schedules run as Lambdas on AWS, in daemon threads.

`send_due_job` runs `campaign send-due` every minute, then sends the reports that are due;
`purge_job` runs `campaign purge` at start and then once a day. One failed run (the relay is down,
the store is busy) is logged and the loop goes on; the claims and leases in `send_due` make
overlapping runs harmless.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from campaign_core.deps import Deps
from campaign_core.settings import Settings
from drill_sender.services.report_due import scheduler_run
from drill_sender.services.send import SendSummary
from hq.retention import purge_and_audit

log = logging.getLogger(__name__)
T = TypeVar("T")


class PeriodicJob(Generic[T]):
    """Runs `job` at start and then every `interval` seconds until `stop()`; `job` gets a predicate
    that turns true once a stop was asked for, so a long run can end after its current step."""

    def __init__(
        self,
        name: str,
        job: Callable[[Callable[[], bool]], T],
        *,
        interval: float,
        report: Callable[[T], None] | None = None,
    ) -> None:
        self.name = name
        self.job = job
        self.interval = interval
        self.report = report or (lambda result: print(f"{name}: {result}", flush=True))
        self.runs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the loop to stop and wait for a run in progress to finish its current step."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def run_once(self) -> T | None:
        try:
            result = self.job(self._stop.is_set)
        except Exception:  # keep the loop alive; the next interval tries again
            log.exception("%s failed", self.name)
            return None
        finally:
            self.runs += 1
        self.report(result)
        return result

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(self.interval)


def _print_summary(summary: SendSummary) -> None:
    if summary.outcomes or summary.queued_oneshots or summary.reports_sent:
        counts = {k: v for k, v in summary.as_dict().items() if k != "messages" and v}
        print(f"send-due: {counts}", flush=True)


def send_due_job(
    deps: Deps, *, interval: float = 60.0, report: Callable[[SendSummary], None] | None = None
) -> PeriodicJob[SendSummary]:
    return PeriodicJob(
        "send-due",
        lambda stopping: scheduler_run(deps, stop=stopping),
        interval=interval,
        report=report or _print_summary,
    )


def purge_job(
    deps: Deps, settings: Settings, *, interval: float = 24 * 3600.0
) -> PeriodicJob[dict[str, Any]]:
    return PeriodicJob(
        "purge",
        lambda _stopping: purge_and_audit(deps.store, deps.clock, settings, who="scheduler"),
        interval=interval,
    )
