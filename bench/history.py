"""Cost against stored history for `make bench` (registered in `bench.core`): a tracking hit, a
`send-due` run with nothing due, the report page and the next day's purge, each on a store holding
1x and 100x the history of other drills (sent mail and its events), on SQLite and on DynamoDB (moto
server).

Each row is items read at 100x as a ratio to items read at 1x (goal: at most 1.2x), with the times
in the detail. Items read come from the adapters' `items_read` counter; with the keyed reads a
request reads only its own drill's items, whatever is stored beside them.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from bench.core import Measurement, Options, benchmark
from bench.drill import NOW, _drill, _settings
from campaign_core.clock import FixedClock, iso
from campaign_core.deps import Deps
from campaign_core.mail.outbox import OutboxMailer
from campaign_core.records import CAMPAIGN_SUMMARY, EVENT
from campaign_core.store import Put, Store
from campaign_core.store.dynamodb import DynamoDBStore
from campaign_core.store.sqlite import SQLiteStore
from drill_sender.services.campaign_average import Figures, fiscal_year
from drill_sender.services.report import build_report
from drill_sender.services.send import send_due
from drill_sender.services.tracking import Hit, record_hit
from drill_sender.templates import tracking_token
from hq.retention import Retention, purge

BASE_DRILLS = 2  # the 1x history: other drills already done
PER_DRILL = 5
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0 Safari/537.36"


def _history(deps: Deps, drills: int) -> None:
    for number in range(drills):
        app_id = f"h{number:05d}"
        ops = _drill(deps, app_id, PER_DRILL, sent=True)
        for op in list(ops):
            if op.kind == "drill":  # done: follow-ups planned, report sent, out of the `due` index
                done = {"followups_planned": True, "report_state": "sent", "due_at": None}
                ops[ops.index(op)] = Put(op.kind, op.key, {**op.data, **done})
            if op.kind == "drill_message":
                data = {**op.data, "due_at": None}
                ops[ops.index(op)] = Put(op.kind, op.key, data)
                event = {"message": op.key, "application_id": app_id, "purpose": "drill", "type": "open",
                         "at": iso(NOW), "user_agent": BROWSER, "client": "198.51.100.7", "method": "GET",
                         "link": None, "prefetch": False}  # fmt: skip
                ops.append(Put(EVENT, f"{op.key}.0", event))
        for start in range(0, len(ops), 25):
            deps.store.transact(ops[start : start + 25])
    # Their figures, summed as counting their reports would have (`campaign_average`).
    summed = Figures(drills=drills, sent=drills * PER_DRILL, opened=drills * PER_DRILL)
    deps.store.put_new(CAMPAIGN_SUMMARY, fiscal_year(NOW), summed.to_data())


@contextmanager
def _stores(workdir: Path, backend: str) -> Iterator[Callable[[str], Store]]:
    if backend == "sqlite":
        yield lambda name: SQLiteStore(workdir / f"{name}.sqlite3")
        return
    import os

    from tests.support.servers import MOTO_ENV, MotoServer

    os.environ.update({k: v for k, v in MOTO_ENV.items() if k not in os.environ})
    with MotoServer() as moto:

        def make(name: str) -> Store:
            store = DynamoDBStore(f"bench-{name}-{uuid.uuid4().hex[:8]}", endpoint_url=moto.endpoint,
                                  region_name=MOTO_ENV.get("AWS_DEFAULT_REGION", "us-east-1"))  # fmt: skip
            store.create_table()
            return store

        yield make


def _case(make: Callable[[str], Store], workdir: Path, scale: int) -> dict[str, tuple[int, float]]:
    """Items read and seconds of each request on a store with `scale` x the base history."""
    settings = _settings(workdir / f"x{scale}")
    store = make(f"x{scale}")
    deps = Deps(store=store, mailer=OutboxMailer(settings.data_dir / "outbox"), clock=FixedClock(NOW),
                settings=settings)  # fmt: skip
    _history(deps, BASE_DRILLS * scale)
    ops = _drill(deps, "mine", PER_DRILL, sent=True)
    deps.store.transact([Put(op.kind, op.key, {**op.data, "due_at": None}) for op in ops])
    results: dict[str, tuple[int, float]] = {}

    def measure(name: str, action: Callable[[], object]) -> None:
        before, start = store.items_read, time.perf_counter()
        action()
        results[name] = (store.items_read - before, time.perf_counter() - start)

    token = tracking_token(deps.signer, "mine-00000")
    hit = Hit("open", token, None, "GET", BROWSER, f"203.0.113.{secrets.randbelow(200)}")
    measure("tracking hit", lambda: record_hit(deps, hit))
    measure("send-due, nothing due", lambda: send_due(deps))
    deps.clock.advance(timedelta(seconds=1))  # type: ignore[attr-defined]
    measure("report page", lambda: build_report(deps, "mine"))
    purge(store, deps.clock, Retention())  # the first run looks at each record once
    deps.clock.advance(timedelta(days=1))  # type: ignore[attr-defined]
    measure("daily purge, next day", lambda: purge(store, deps.clock, Retention()))
    return results


def _rows(options: Options, backend: str) -> dict[str, Measurement]:
    with _stores(options.workdir / backend, backend) as make:
        (options.workdir / backend).mkdir(parents=True, exist_ok=True)
        small = _case(make, options.workdir / backend, 1)
        large = _case(make, options.workdir / backend, 100)
    return {
        name: Measurement(
            float(large[name][0]),
            float(max(small[name][0], 1)),
            f"items read 1x {small[name][0]}, 100x {large[name][0]}; "
            f"time 1x {small[name][1] * 1000:.1f} ms, 100x {large[name][1] * 1000:.1f} ms",
            unit="items",
        )
        for name in small
    }


_CACHE: dict[str, dict[str, Measurement]] = {}


def _row(backend: str, name: str) -> Callable[[Options], Measurement]:
    def run(options: Options) -> Measurement:
        if backend not in _CACHE:
            _CACHE[backend] = _rows(options, backend)
        return _CACHE[backend][name]

    return run


for _backend in ("sqlite", "dynamodb"):
    for _name in ("tracking hit", "send-due, nothing due", "report page", "daily purge, next day"):
        benchmark(f"history {_name}, 100x vs 1x items read ({_backend})", goal=1.2)(_row(_backend, _name))
