"""Fixtures shared by every test: settings on a temporary data directory, the app, the built site,
and the session's real servers: ONE moto server process (`moto_server`) and ONE SMTP server
(`smtp_server`) for the whole run. Tests that need isolation use a fresh table (a random name) on
the moto server, and `smtp`, the SMTP server with its messages and faults cleared for the test.

A run that collects no test fails (`pytest_sessionfinish`), so a wrong path or `-k` never passes."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from flask.testing import FlaskClient

from campaign_core.clock import FixedClock
from campaign_core.settings import PROJECT_ROOT, Settings
from tests.support import TEST_SECRET
from tests.support.site import build_site

if TYPE_CHECKING:
    from tests.support.servers import MotoServer, SMTPServer


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """No test collected (exit code 5) is a failure here: a suite that silently ran nothing."""
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        sys.stderr.write("\nno test ran: failing (a wrong path or -k/-m selects nothing)\n")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 27, 1, 0, tzinfo=UTC))


@pytest.fixture
def settings(tmp_path: Path, built_site: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        site_dir=built_site,
        content_dir=PROJECT_ROOT / "content",
        secret_key=TEST_SECRET,
    )


@pytest.fixture
def app(settings: Settings, clock: FixedClock) -> Flask:
    from local.serve import create_local_app

    application = create_local_app(settings)
    application.config["CAMPAIGN_CLOCK"] = clock
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The guide site, built once per test session with `mkdocs build --strict` (warnings fail)."""
    out = tmp_path_factory.mktemp("site")
    result = build_site(out)
    if result.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr}")
    yield out


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """One moto server process for the whole session (DynamoDB, SES, ... on one endpoint), with
    fake AWS keys in the environment; reset it (`moto_server.reset()`) or use fresh table names."""
    from tests.support.servers import MOTO_ENV, MotoServer

    with pytest.MonkeyPatch.context() as patch:
        for name, value in MOTO_ENV.items():
            patch.setenv(name, value)
        with MotoServer() as server:
            yield server


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SMTPServer]:
    """One aiosmtpd server on loopback for the session; `clear()` it, read `received`."""
    from tests.support.servers import SMTPServer

    with SMTPServer() as server:
        yield server


@pytest.fixture
def moto(moto_server: MotoServer) -> MotoServer:
    """The session's moto server, under the short name the form and drill tests use."""
    return moto_server


@pytest.fixture
def smtp(smtp_server: SMTPServer) -> Iterator[SMTPServer]:
    """The session's SMTP server with no mail and no fault left from an earlier test."""
    smtp_server.clear()
    yield smtp_server
    smtp_server.clear()
