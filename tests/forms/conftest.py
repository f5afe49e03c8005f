"""Fixtures of the form tests: the forms app on a real SQLite store (or a fresh table on the
session's moto server) and the `.eml` outbox, with the injected clock; rate limits off unless a
test turns them on. Form data and helpers are in `tests/support/forms.py`."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from campaign_core.clock import FixedClock
from campaign_core.settings import PROJECT_ROOT, FormSettings, Settings
from campaign_core.store import Store
from form_lambda.app import create_app
from tests.support import TEST_SECRET
from tests.support.forms import NO_LIMITS, Outbox, dynamodb_store


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """A copy of content/ that a test may change (e.g. a live session with 2 seats)."""
    target = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", target)
    return target


@pytest.fixture
def make_app(built_site: Path, tmp_path: Path, clock: FixedClock, content_dir: Path) -> Callable[..., Flask]:
    def build(store: Store | None = None, **forms: Any) -> Flask:
        """`forms`: fields of `FormSettings` to change (rate limits are off unless given)."""
        settings = Settings(
            data_dir=tmp_path / "var",
            site_dir=built_site,
            content_dir=content_dir,
            secret_key=TEST_SECRET,
            forms=FormSettings(**{**NO_LIMITS, **forms}),
        )
        application = create_app(settings, clock=clock, store=store)
        application.config["TESTING"] = True
        return application

    return build


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked `both_stores` run once per store adapter."""
    if "store_backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_stores"):
        metafunc.parametrize("store_backend", ["sqlite", "dynamodb"])


@pytest.fixture
def store_backend() -> str:
    """The SQLite store, unless the test is marked `both_stores` (`pytest_generate_tests`)."""
    return "sqlite"


@pytest.fixture
def forms_app(make_app: Callable[..., Flask], store_backend: str, request: pytest.FixtureRequest) -> Flask:
    if store_backend == "dynamodb":
        return make_app(store=dynamodb_store(request.getfixturevalue("moto")))
    return make_app()


@pytest.fixture
def forms_client(forms_app: Flask) -> FlaskClient:
    return forms_app.test_client()


@pytest.fixture
def store(forms_app: Flask) -> Store:
    found: Store = forms_app.extensions["campaign_store"]
    return found


@pytest.fixture
def outbox(forms_app: Flask) -> Outbox:
    return Outbox(forms_app.config["CAMPAIGN_SETTINGS"].outbox_dir)
