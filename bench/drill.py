"""Benchmarks of drill runs for `make bench` (registered in `bench.core`), each a ratio to a
baseline measured in the same run:

- send throughput: `send_due` (claim, render, send, mark on SQLite) to a loopback SMTP server, as a
  time ratio to raw smtplib sending the same messages, pre-built, on one connection
  (goal: at least 0.8x the throughput, i.e. at most 1.25x the time). The baseline's messages
  are `build_message`'s (`campaign_core.mail.compose`), flattened by `send_message`; send-due
  composes and sends the same messages the same way, on one connection (its `mailer.session()`);
- send rate: the time `send_due` takes at a configured rate, as a ratio to the time that rate
  implies (goal: within 5 %);
- report build: one drill report of a campaign of 1,000 companies x 10 participants (the report
  reads the whole campaign for its average), as a ratio to reading those rows alone (goal: 3x).
"""

from __future__ import annotations

import secrets
import smtplib
import socket
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from bench.core import Measurement, Options, benchmark, interleaved
from campaign_core.clock import FixedClock
from campaign_core.deps import Deps
from campaign_core.mail.smtp import SMTPMailer
from campaign_core.records import APPLICATION, CHECK, DRILL, EVENT, MESSAGE
from campaign_core.settings import PROJECT_ROOT, SendSettings, Settings
from campaign_core.store import Put
from campaign_core.store.sqlite import SQLiteStore
from cli.migrate import count_closed_drills
from drill_sender.services.report import build_report
from drill_sender.services.schedule import new_message
from drill_sender.services.send import build_message, send_due

NOW = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
SEND_COUNT = 200
RATE = 20.0
RATE_COUNT = 41  # 40 waits of 1/20 s: two seconds
COMPANIES = 1000
PER_COMPANY = 10


@dataclass
class _Sink:
    count: int = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.count += 1
        return "250 OK"


@dataclass
class _Relay:
    handler: _Sink = field(default_factory=_Sink)
    controller: Controller | None = None

    port: int = 0

    def __enter__(self) -> _Relay:
        with socket.socket() as probe:  # a free loopback port
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.controller is not None:
            self.controller.stop()


def _settings(workdir: Path, *, rate: float = SendSettings.rate) -> Settings:
    return Settings(
        data_dir=workdir,
        site_dir=workdir / "site",
        content_dir=PROJECT_ROOT / "content",
        secret_key=secrets.token_hex(16),
        base_url="http://127.0.0.1:8000",
        send=SendSettings(rate=rate),
    )


def _drill(deps: Deps, application_id: str, count: int, *, sent: bool = False) -> list[Put]:
    """An accepted application with `count` participants and their due (or sent) drill messages."""
    people = [f"p{i:05d}@bench-{application_id}.example.jp" for i in range(count)]
    ops: list[Put] = [
        Put(
            APPLICATION,
            application_id,
            {
                "status": "accepted",
                "company": f"株式会社ベンチ{application_id}",
                "participants": [{"email": p, "status": "domain"} for p in people],
                "chamber": {"code": "sapporo", "name": "札幌商工会議所"},
            },
        ),
        Put(
            DRILL,
            application_id,
            {"template": "12-obvious", "month": 12, "variant": "obvious", "company": "ベンチ",
             "window_start": NOW.isoformat(), "window_end": NOW.isoformat()},
        ),
    ]  # fmt: skip
    for index, person in enumerate(people):
        key = f"{application_id}-{index:05d}"
        data: dict[str, Any] = new_message(
            deps, key, application_id=application_id, email=person, company="ベンチ", month=12,
            variant="obvious", send_at=NOW - timedelta(minutes=1), purpose="drill",
        )  # fmt: skip
        if sent:
            data.update(state="sent", sent_at=NOW.isoformat())
        ops.append(Put(MESSAGE, key, data))
    return ops


def _fresh(workdir: Path, name: str, relay_port: int, count: int, *, rate: float) -> Deps:
    directory = workdir / name
    directory.mkdir(parents=True)
    settings = _settings(directory, rate=rate)
    store = SQLiteStore(directory / "campaign.sqlite3")
    deps = Deps(
        store=store, mailer=SMTPMailer("127.0.0.1", relay_port), clock=FixedClock(NOW), settings=settings
    )
    _write(store, _drill(deps, "a1", count))
    return deps


@benchmark("drill send throughput (send-due vs raw smtplib, one connection)", goal=1.25)
def send_throughput(options: Options) -> Measurement:
    ours: list[float] = []
    theirs: list[float] = []
    with _Relay() as relay:
        for run in range(options.repeat + 1):  # the first of each is a warm-up
            deps = _fresh(options.workdir, f"send-{run}", relay.port, SEND_COUNT, rate=0)
            messages: list[EmailMessage] = [
                build_message(deps, record, now=NOW) for record in deps.store.query(MESSAGE)
            ]
            start = time.perf_counter()
            summary = send_due(deps)
            elapsed = time.perf_counter() - start
            if summary.count("sent") != SEND_COUNT:
                raise RuntimeError(f"send-due sent {summary.count('sent')} of {SEND_COUNT}")
            start = time.perf_counter()
            with smtplib.SMTP("127.0.0.1", relay.port) as client:
                for message in messages:
                    client.send_message(message)
            raw = time.perf_counter() - start
            if run:
                ours.append(elapsed)
                theirs.append(raw)
    mine, base = statistics.median(ours), statistics.median(theirs)
    detail = f"{SEND_COUNT / mine:.0f} vs {SEND_COUNT / base:.0f} mails/s (throughput {base / mine:.2f}x)"
    return Measurement(mine, base, detail)


@benchmark("drill send rate (time at 20 mails/s vs the time that rate implies)", goal=1.05)
def send_rate(options: Options) -> Measurement:
    expected = (RATE_COUNT - 1) / RATE
    took: list[float] = []
    with _Relay() as relay:
        for run in range(options.repeat):
            deps = _fresh(options.workdir, f"rate-{run}", relay.port, RATE_COUNT, rate=RATE)
            start = time.perf_counter()
            send_due(deps)
            took.append(time.perf_counter() - start)
    measured = statistics.median(took)
    rate = (RATE_COUNT - 1) / measured
    return Measurement(measured, expected, f"measured {rate:.2f} mails/s for {RATE:.0f} configured")


def _open_event(key: str, application_id: str) -> dict[str, Any]:
    return {
        "message": key,
        "application_id": application_id,
        "purpose": "drill",
        "type": "open",
        "link": None,
        "at": (NOW + timedelta(minutes=30)).isoformat(),
        "user_agent": "Mozilla/5.0",
        "client": "198.51.100.1",
        "method": "GET",
        "prefetch": False,
    }


def _reported(application_id: str) -> dict[str, Any]:
    return {
        "application_id": application_id,
        "reported": "yes",
        "action": "reported_after_open",
        "reported_at": (NOW + timedelta(minutes=45)).isoformat(),
        "notes": "",
    }


def _write(store: SQLiteStore, ops: list[Put]) -> None:
    for first in range(0, len(ops), 100):  # DynamoDB's transaction limit, kept here too
        store.transact(ops[first : first + 100])


@benchmark("drill report build (1,000 companies x 10 vs reading the rows)", goal=3.0)
def report_build(options: Options) -> Measurement:
    directory = options.workdir / "report"
    directory.mkdir(parents=True)
    store = SQLiteStore(directory / "campaign.sqlite3")
    deps = Deps(
        store=store, mailer=SMTPMailer("127.0.0.1", 9), clock=FixedClock(NOW), settings=_settings(directory)
    )
    batch: list[Put] = []
    for company in range(COMPANIES):
        application_id = f"c{company:04d}"
        batch.extend(_drill(deps, application_id, PER_COMPANY, sent=True))
        for person in range(0, PER_COMPANY, 2):  # half of them opened, a few reported
            key = f"{application_id}-{person:05d}"
            batch.append(Put(EVENT, f"{key}.open", _open_event(key, application_id)))
            if person % 4 == 0:
                batch.append(Put(CHECK, key, _reported(application_id)))
        if len(batch) >= 500:
            _write(store, batch)
            batch = []
    _write(store, batch)
    count_closed_drills(deps)  # every drill's figures into the campaign's (as `migrate-store` does)

    def build() -> None:
        built = build_report(deps, "c0500")
        if built.campaign.sent != COMPANIES * PER_COMPANY:
            raise RuntimeError("the report's campaign figures miss drills")

    def read_rows() -> None:
        store.query(MESSAGE, where={"purpose": "drill"})
        store.query(EVENT, where={"purpose": "drill"})
        store.query(CHECK)

    result = interleaved(build, read_rows, options.repeat)
    return Measurement(
        result.measured, result.baseline, f"{COMPANIES * PER_COMPANY} participants; {result.detail}"
    )
