"""The contract suites use the session servers from `tests/conftest.py` (`moto_server`,
`smtp_server`, built from `tests/support/servers.py`); every test here also sees fake AWS keys."""

from __future__ import annotations

import pytest

from tests.support.servers import MOTO_ENV, MotoServer


@pytest.fixture(autouse=True)
def fake_aws_credentials(monkeypatch: pytest.MonkeyPatch, moto_server: MotoServer) -> None:
    """Every contract test sees fake AWS keys and region, whatever the order tests run in. The
    session's moto server is started first: were it started inside this test's patch, the patch's
    undo would take the session's keys away from every later test (botocore's NoRegionError)."""
    for name, value in MOTO_ENV.items():
        monkeypatch.setenv(name, value)
