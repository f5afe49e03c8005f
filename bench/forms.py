"""`make bench`, forms: drill-form POST throughput against a bare handler, and a burst of 1,000 applications.

Both run the app as the local server does (waitress, the same thread count) in a subprocess on a free
loopback port, with a fresh data directory (SQLite store, `.eml` outbox) and the rate limits off; the
client is this process: a pool of keep-alive `http.client` connections posting distinct, valid drill
applications (one office each, participants in the officer's domain, the page's own Origin).

- Throughput: the same posts to the real app and to a bare Flask app whose one handler inserts the form
  into SQLite (WAL, `synchronous=FULL`, `BEGIN IMMEDIATE`, as the store does), behind the same server,
  in alternating batches. The registry compares times, so the row shows the time per batch of posts;
  a throughput ratio of ≥ 0.7× is a time ratio of ≤ 1/0.7 ≈ 1.43×.
- Volume: 1,000 applications at once to a fresh stack; then the store and the outbox are read back.
  Errors are non-2xx answers or failed requests; lost = 1,000 - applications found in the store. The
  row misses its goal when it took over 60 s or anything was refused, lost or left without its mail.

    python -m bench forms                       # both benchmarks
    python -m bench.forms serve real DATA_DIR   # one server (what the benchmarks start)
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from urllib.parse import urlencode

from flask import Flask, Response, request

from bench.core import Measurement, Options, benchmark, interleaved
from bench.form_client import CONCURRENCY, FORM_PATH, Audit, audit, errors_in, post_all
from campaign_core.settings import PROJECT_ROOT, Settings, load_settings
from campaign_core.store.sqlite import BUSY_TIMEOUT_MS
from tests.support.forms import DRILL_FORM  # the tests' valid form, varied per office

THREADS = 8  # waitress worker threads, as `local/serve.py` runs the local server
BATCH = 200  # posts per timed throughput batch
THROUGHPUT_GOAL = 0.7  # real app's posts per second / bare handler's, at least
VOLUME = 1_000
VOLUME_LIMIT_S = 60.0
NO_LIMITS = {"CAMPAIGN_RATE_LIMIT_CLIENT": "off", "CAMPAIGN_RATE_LIMIT_EMAIL": "off"}
START_TIMEOUT_S = 60.0


# -- applications --------------------------------------------------------------------------------------


def drill_application(n: int, tag: str) -> dict[str, str]:
    """A valid drill application for office number `n` of run `tag`: its own company and street number,
    an officer and two participants in the company's own mail domain."""
    domain = f"bench{tag}-{n}.example.jp"
    return {
        **DRILL_FORM,
        "company": f"株式会社ベンチ{tag}商事{n}",
        "address": f"千代田区千代田1-{n + 1}-3",
        "officer_email": f"officer@{domain}",
        "participants": f"hanako@{domain}\njiro@{domain}",
    }


class Applications:
    """Distinct applications for one run: a fresh office for every call, never one twice."""

    def __init__(self) -> None:
        self.tag = uuid.uuid4().hex[:8]
        self._numbers = itertools.count()
        self.officers: list[str] = []

    def batch(self, count: int) -> list[bytes]:
        forms = [drill_application(next(self._numbers), self.tag) for _ in range(count)]
        self.officers.extend(form["officer_email"] for form in forms)
        return [urlencode(form).encode("ascii") for form in forms]


# -- servers -------------------------------------------------------------------------------------------


def stack_env(data_dir: Path, site_dir: Path) -> dict[str, str]:
    """The environment of a local stack on `data_dir`: inherited CAMPAIGN_* settings dropped (a pinned
    clock or another store must not leak in), rate limits off for the load."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("CAMPAIGN_")}
    return {
        **base,
        "CAMPAIGN_DATA_DIR": str(data_dir),
        "CAMPAIGN_SITE_DIR": str(site_dir),
        "CAMPAIGN_STORE": "sqlite",
        "CAMPAIGN_MAIL": "outbox",
        **NO_LIMITS,
    }


def bare_app(database: Path) -> Flask:
    """The baseline: one POST handler that inserts the form into SQLite, with the store's settings."""
    app = Flask(__name__)
    local = threading.local()
    setup = sqlite3.connect(database, isolation_level=None)
    setup.execute("PRAGMA journal_mode = WAL")
    setup.execute("CREATE TABLE IF NOT EXISTS submissions (id TEXT PRIMARY KEY, form TEXT NOT NULL)")
    setup.close()

    def connection() -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(database, isolation_level=None, check_same_thread=False, timeout=30)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            local.conn = conn
        return conn

    @app.post(FORM_PATH)
    def submit() -> Response:
        conn = connection()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO submissions (id, form) VALUES (?, ?)",
            (uuid.uuid4().hex, json.dumps(request.form.to_dict(), ensure_ascii=False)),
        )
        conn.execute("COMMIT")
        return Response("<p>受け付けました。</p>", mimetype="text/html")

    return app


def serve(kind: str, data_dir: Path) -> int:
    """Run one server on a free loopback port; print the port, serve until SIGTERM."""
    from waitress.server import create_server

    data_dir.mkdir(parents=True, exist_ok=True)
    if kind == "real":
        from local.serve import create_local_app

        app = create_local_app(load_settings())
    else:
        app = bare_app(data_dir / "bare.sqlite3")
    server = create_server(app, host="127.0.0.1", port=0, threads=THREADS)

    def stop(_signum: int, _frame: object) -> None:
        server.close()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    print(f"port {server.effective_port}", flush=True)
    server.run()
    return 0


class Server:
    """`serve(kind, data_dir)` in a subprocess (its own interpreter: the client does not share its GIL)."""

    def __init__(self, kind: str, data_dir: Path, site_dir: Path) -> None:
        self.kind = kind
        self.data_dir = data_dir
        self.env = stack_env(data_dir, site_dir)
        self.port = 0
        self._process: subprocess.Popen[str] | None = None

    @property
    def settings(self) -> Settings:
        return load_settings(self.env)

    def __enter__(self) -> Server:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = (self.data_dir / f"server-{self.kind}.log").open("w", encoding="utf-8")
        command = [sys.executable, "-m", "bench.forms", "serve", self.kind, str(self.data_dir)]
        self._process = subprocess.Popen(  # noqa: S603  (fixed command, no shell)
            command, cwd=PROJECT_ROOT, env=self.env, stdout=subprocess.PIPE, stderr=log, text=True
        )
        log.close()
        stdout = self._process.stdout
        line = stdout.readline() if stdout is not None else ""  # EOF (""), if the server died before binding
        if not line.startswith("port "):
            self.__exit__(None, None, None)
            errors = (self.data_dir / f"server-{self.kind}.log").read_text(encoding="utf-8")
            raise RuntimeError(f"the {self.kind} server did not start:\n{errors}")
        self.port = int(line.split()[1])
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None


# -- the benchmarks ------------------------------------------------------------------------------------


def default_site_dir() -> Path:
    """The built site (`make bench` builds it first): answers are the site's pages, as in use."""
    return PROJECT_ROOT / "site"


def measure_throughput(workdir: Path, *, batch: int, repeat: int, site_dir: Path) -> Measurement:
    """Median time of `batch` posts to the real app and to the bare handler, alternating."""
    applications = Applications()
    errors = {"real": 0, "bare": 0}
    with (
        Server("real", workdir / "real", site_dir) as real,
        Server("bare", workdir / "bare", site_dir) as bare,
    ):
        # Every batch of bodies is built before the clock starts; the same bodies go to both servers.
        batches: Iterator[list[bytes]] = iter([applications.batch(batch) for _ in range(repeat + 1)])
        pending: list[list[bytes]] = []

        def real_batch() -> None:
            bodies = next(batches)
            pending.append(bodies)
            errors["real"] += errors_in(post_all(real.port, bodies))

        def bare_batch() -> None:
            errors["bare"] += errors_in(post_all(bare.port, pending.pop()))

        result = interleaved(real_batch, bare_batch, repeat)
    per_second = (batch / result.measured, batch / result.baseline)
    detail = (
        f"{batch} posts per batch, {CONCURRENCY} clients, {THREADS} server threads: "
        f"{per_second[0]:.0f} vs {per_second[1]:.0f} posts/s, throughput {1 / result.ratio:.2f}× "
        f"the bare handler (goal ≥ {THROUGHPUT_GOAL}×, i.e. time ratio ≤ {1 / THROUGHPUT_GOAL:.2f}×); "
        f"{result.detail}"
    )
    if errors["real"] or errors["bare"]:
        failed = f"FAIL: {errors['real']} failed posts to the app, {errors['bare']} to the bare handler"
        return Measurement(math.inf, result.baseline, f"{failed}; {detail}")
    return Measurement(result.measured, result.baseline, detail)


@dataclass(frozen=True)
class Volume:
    count: int
    elapsed: float
    errors: int
    audit: Audit

    @property
    def lost(self) -> int:
        return self.count - self.audit.found

    @property
    def unmailed(self) -> int:
        return self.count - self.audit.mailed

    @property
    def ok(self) -> bool:
        return (
            self.elapsed <= VOLUME_LIMIT_S
            and self.errors == 0
            and self.lost == 0
            and self.unmailed == 0
            and self.audit.mails == self.count
        )

    def describe(self) -> str:
        mark = "" if self.ok else "FAIL: "
        return (
            f"{mark}{self.count} applications in {self.elapsed:.1f} s (limit {VOLUME_LIMIT_S:.0f} s, "
            f"the baseline column), {self.errors} errors, {self.lost} lost, "
            f"{self.audit.mails} mails in the outbox ({self.unmailed} officers without one); one run"
        )


def run_volume(workdir: Path, *, count: int, site_dir: Path) -> tuple[Volume, Server, list[str]]:
    """`count` distinct applications at once to a fresh stack, then its store and outbox read back.
    Also returns the (stopped) server, whose `settings` reach its store, and the officers sent."""
    applications = Applications()
    bodies = applications.batch(count)
    with Server("real", workdir / "volume", site_dir) as server:
        start = time.perf_counter()
        statuses = post_all(server.port, bodies)
        elapsed = time.perf_counter() - start
    found = audit(server.settings, applications.officers)
    return Volume(count, elapsed, errors_in(statuses), found), server, applications.officers


@benchmark("forms: POST vs bare Flask + 1 SQLite insert (s/batch)", goal=1 / THROUGHPUT_GOAL)
def form_throughput(options: Options) -> Measurement:
    return measure_throughput(
        options.workdir, batch=BATCH, repeat=options.repeat, site_dir=default_site_dir()
    )


@benchmark(f"forms: {VOLUME:,} applications, 0 errors, 0 lost (s vs 60 s)", goal=1.0)
def form_volume(options: Options) -> Measurement:
    volume, _server, _officers = run_volume(options.workdir, count=VOLUME, site_dir=default_site_dir())
    return Measurement(volume.elapsed if volume.ok else math.inf, VOLUME_LIMIT_S, volume.describe())


# -- command line --------------------------------------------------------------------------------------


@contextmanager
def _quiet_sigint() -> Iterator[None]:
    """The parent stops a server with SIGTERM; Ctrl-C in the terminal reaches it too: exit quietly."""
    previous = signal.signal(signal.SIGINT, lambda _s, _f: sys.exit(0))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="run one server of the benchmark")
    serve_parser.add_argument("kind", choices=["real", "bare"])
    serve_parser.add_argument("data_dir", type=Path)
    args = parser.parse_args(argv)
    with _quiet_sigint():
        return serve(args.kind, args.data_dir)


if __name__ == "__main__":
    sys.exit(main())
