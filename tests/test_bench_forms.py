"""The forms benchmarks' harness, scaled down: real servers, real posts, the store and outbox read back."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path
from urllib.parse import urlencode

from bench.form_client import Audit, audit, errors_in, post_all
from bench.forms import Applications, Server, Volume, drill_application, measure_throughput, run_volume
from campaign_core.store import create_store


def test_throughput_posts_every_batch_to_both_servers(tmp_path: Path) -> None:
    result = measure_throughput(tmp_path, batch=10, repeat=1, site_dir=tmp_path / "no-site")
    assert "FAIL" not in result.detail
    assert math.isfinite(result.measured) and result.measured > 0 and result.baseline > 0
    assert "throughput" in result.detail and "1.43×" in result.detail
    # A warm-up batch and one timed batch each: 20 applications stored, 20 rows inserted.
    real = Server("real", tmp_path / "real", tmp_path / "no-site").settings
    applications = create_store(real).query("application")
    assert len(applications) == 20
    assert len({record.data["officer_email"] for record in applications}) == 20
    with sqlite3.connect(tmp_path / "bare" / "bare.sqlite3") as conn:
        assert conn.execute("SELECT count(*) FROM submissions").fetchone() == (20,)


def test_volume_counts_and_detects_a_lost_application(tmp_path: Path) -> None:
    volume, server, officers = run_volume(tmp_path, count=20, site_dir=tmp_path / "no-site")
    assert (volume.errors, volume.lost, volume.audit) == (0, 0, Audit(found=20, mailed=20, mails=20))
    assert volume.ok and not volume.describe().startswith("FAIL")

    # Take one application out of the store and one mail out of the outbox: both are noticed.
    store = create_store(server.settings)
    [gone] = store.query("application", where={"officer_email": officers[7]})
    store.delete("application", gone.key)
    next(server.settings.outbox_dir.glob("*.eml")).unlink()
    after = Volume(volume.count, volume.elapsed, volume.errors, audit(server.settings, officers))
    assert (after.lost, after.audit.mails, after.unmailed) == (1, 19, 1)
    assert not after.ok and after.describe().startswith("FAIL: ")


def test_refused_posts_count_as_errors(tmp_path: Path) -> None:
    applications = Applications()
    valid = applications.batch(2)
    invalid = urlencode({**drill_application(99, applications.tag), "officer_email": "not-an-address"})
    with Server("real", tmp_path / "stack", tmp_path / "no-site") as server:
        statuses = post_all(server.port, [*valid, invalid.encode("ascii")], concurrency=2)
        # The same office again: refused with 409, which is an error for the benchmark too.
        statuses += post_all(server.port, valid[:1], concurrency=1)
    assert statuses == [200, 200, 400, 409]
    assert errors_in(statuses) == 2


def test_a_slow_run_misses_its_goal() -> None:
    counts = Audit(found=20, mailed=20, mails=20)
    assert Volume(20, 59.9, 0, counts).ok
    assert not Volume(20, 60.1, 0, counts).ok
    assert not Volume(20, 1.0, 1, counts).ok
