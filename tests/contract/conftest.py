"""The contract suites use the session servers from `tests/conftest.py` (`moto_server`,
`smtp_server`, built from `tests/support/servers.py`); every test here also sees fake AWS keys.
`store` is a fresh store of each engine (suites with their own setup define their own)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from campaign_core.store import Store
from campaign_core.store.sqlite import SQLiteStore
from tests.support.forms import dynamodb_store
from tests.support.servers import MOTO_ENV, MotoServer


@pytest.fixture(autouse=True)
def fake_aws_credentials(monkeypatch: pytest.MonkeyPatch, moto_server: MotoServer) -> None:
    """Every contract test sees fake AWS keys and region, whatever the order tests run in. The
    session's moto server is started first: were it started inside this test's patch, the patch's
    undo would take the session's keys away from every later test (botocore's NoRegionError)."""
    for name, value in MOTO_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        sqlite = SQLiteStore(tmp_path / "records.sqlite3")
        yield sqlite
        sqlite.close()
    else:
        yield dynamodb_store(request.getfixturevalue("moto"))
