"""A sender killed mid-run (SIGKILL, no chance to clean up) and the local server's scheduler loop:
after resuming, every participant has exactly one drill mail. Real processes, a real SMTP server,
SQLite and DynamoDB (moto)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from campaign_core.clock import FixedClock
from campaign_core.deps import Deps
from campaign_core.records import MESSAGE
from campaign_core.settings import PROJECT_ROOT, Settings
from campaign_core.store import Store
from drill_sender.services.schedule import schedule
from local.jobs import send_due_job
from tests.support.drill import accepted_application, staff, staff_command_env
from tests.support.servers import FaultySMTPServer, free_port, start_local_server, wait_for


def _environment(settings: Settings, smtp: FaultySMTPServer, now: str, **more: str) -> dict[str, str]:
    return {**os.environ, **staff_command_env(settings, smtp, now, **more)}


def _states(store: Store) -> Counter[str]:
    return Counter(str(r.data["state"]) for r in store.query(MESSAGE))


def test_sender_killed_mid_run_then_rerun_loses_nothing_and_duplicates_nothing(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps, smtp: FaultySMTPServer
) -> None:
    people = staff(8)
    app_id = accepted_application(store, settings, clock, people)
    schedule(deps, app_id, days=1)
    after = clock.now() + timedelta(days=7)
    command = [sys.executable, "-m", "cli", "send-due"]

    # Four mails a second: the sender spends most of its time waiting for the next slot.
    env = _environment(settings, smtp, after.isoformat(), CAMPAIGN_SEND_RATE="4")
    sender = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        wait_for(lambda: _states(store)["sent"] >= 3, timeout=60)
    finally:
        sender.send_signal(signal.SIGKILL)
        sender.wait(timeout=10)
    assert sender.returncode == -signal.SIGKILL
    killed_at = _states(store)
    assert 3 <= killed_at["sent"] < len(people)  # killed mid-run

    # A run right away leaves a message the dead sender may hold alone; one after its lease
    # (10 minutes) takes it over.
    for later in (after, after + timedelta(minutes=11)):
        rerun = subprocess.run(
            command,
            cwd=PROJECT_ROOT,
            env=_environment(settings, smtp, later.isoformat(), CAMPAIGN_SEND_RATE="0"),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert rerun.returncode == 0, rerun.stderr
    assert _states(store) == Counter({"sent": len(people)})
    assert Counter(smtp.recipients()) == Counter(people)  # 0 lost, 0 duplicates


def test_scheduler_loop_sends_due_mail_and_stops_promptly(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps, smtp: FaultySMTPServer
) -> None:
    app_id = accepted_application(store, settings, clock, staff(3))
    schedule(deps, app_id, days=1)
    clock.advance(timedelta(days=7))
    loop = send_due_job(deps, interval=0.05, report=lambda _summary: None)
    loop.start()
    # The loop is the scheduler: past the reporting period, the officer's report goes out too.
    wait_for(lambda: len(smtp.received) == 4 and loop.runs >= 3, timeout=30)
    started = time.monotonic()
    loop.stop()
    assert time.monotonic() - started < 5
    assert not loop._thread.is_alive()
    assert Counter(smtp.recipients()) == Counter([*staff(3), "taro@test-corp.example.jp"])


def test_local_server_runs_the_scheduler_and_stops_on_ctrl_c(
    built_site: Path,
    store: Store,
    settings: Settings,
    clock: FixedClock,
    deps: Deps,
    smtp: FaultySMTPServer,
) -> None:
    app_id = accepted_application(store, settings, clock, staff(2))
    schedule(deps, app_id, days=1)
    port = free_port()
    env = _environment(
        settings,
        smtp,
        (clock.now() + timedelta(days=7)).isoformat(),
        CAMPAIGN_SITE_DIR=str(built_site),
        PORT=str(port),
        CAMPAIGN_INBOUND_PORT=str(free_port()),
    )
    server = start_local_server(env)
    try:
        # Two drill mails, then the officer's report (the reporting period has passed).
        wait_for(lambda: len(smtp.received) == 3, timeout=60)
    finally:
        server.send_signal(signal.SIGINT)  # what Ctrl-C sends
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0, output  # ended by itself, scheduler thread and all
    assert "send-due: {'sent': 2" in output
    assert "report address: report@drill.example.jp" in output  # the inbound listener was up
    assert "停止しました" in output  # the newcomer is told the server stopped
    assert Counter(smtp.recipients()) == Counter([*staff(2), "taro@test-corp.example.jp"])
