"""Fixtures shared by every test: settings on a temporary data directory, the app, the built site."""

from __future__ import annotations

import os
import subprocess
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

if TYPE_CHECKING:
    from tests.servers import MotoServer, SMTPServer

TEST_SECRET = "test-secret-key-not-for-production"


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
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr}")
    yield out


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """One moto server process for the whole session (DynamoDB, SES, ... on one endpoint), with
    fake AWS keys in the environment; reset it (`moto_server.reset()`) or use fresh table names."""
    from tests.servers import MOTO_ENV, MotoServer

    with pytest.MonkeyPatch.context() as patch:
        for name, value in MOTO_ENV.items():
            patch.setenv(name, value)
        with MotoServer() as server:
            yield server


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SMTPServer]:
    """One aiosmtpd server on loopback for the session; `clear()` it, read `received`."""
    from tests.servers import SMTPServer

    with SMTPServer() as server:
        yield server
