"""Session fixtures for the contract suites: one moto server process and one SMTP server.

Both start on free loopback ports, wait until they answer, and stop at the end of the session.
Other suites can import the same classes from `tests.servers`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers import MOTO_ENV, MotoServer, SMTPServer


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    with pytest.MonkeyPatch.context() as patch:
        # Adapters build their own boto3 clients from the environment: point them at fake keys.
        for name, value in MOTO_ENV.items():
            patch.setenv(name, value)
        with MotoServer() as server:
            yield server


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SMTPServer]:
    with SMTPServer() as server:
        yield server


@pytest.fixture(autouse=True)
def fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every contract test sees fake AWS keys and region, whatever the order tests run in."""
    for name, value in MOTO_ENV.items():
        monkeypatch.setenv(name, value)
