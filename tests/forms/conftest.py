"""Fixtures of the form tests: the forms app on a real SQLite store and the `.eml` outbox, with the
injected clock; rate limits off unless a test turns them on."""

from __future__ import annotations

import email
import email.policy
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient

from campaign_core.clock import FixedClock
from campaign_core.settings import PROJECT_ROOT, FormSettings, Settings
from campaign_core.store import Store
from campaign_core.store.dynamodb import DynamoDBStore
from form_lambda import create_app
from tests.servers import MOTO_ENV, MOTO_REGION, MotoServer

NO_LIMITS = {"rate_limit_client": None, "rate_limit_email": None}

DRILL_FORM = {
    "company": "株式会社テスト",
    "office": "",
    "corporate_number": "",
    "postal_code": "100-0001",
    "prefecture": "東京都",
    "address": "千代田区千代田1-2-3",
    "phone": "03-1234-5678",
    "industry": "manufacturing",
    "employees": "6-20",
    "chamber": "札幌商工会議所",
    "member": "non_member",
    "officer_name": "山田 太郎",
    "officer_email": "taro@test-corp.example.jp",
    "participants": "hanako@test-corp.example.jp\njiro@partner.example.com",
    "reveal_followup": "on",
    "consent": "yes",
}

SEMINAR_FORM = {
    "session_id": "recorded-basics",
    "company": "株式会社テスト",
    "name": "山田 太郎",
    "email": "taro@test-corp.example.jp",
    "phone": "",
    "prefecture": "東京都",
    "chamber": "sapporo",
    "member": "member",
    "consent": "yes",
}

ONESHOT_FORM = {"email": "taro@test-corp.example.jp", "company": "株式会社テスト", "consent": "yes"}


@dataclass
class Outbox:
    """The `.eml` files the outbox mailer wrote, oldest first."""

    directory: Path

    def messages(self) -> list[EmailMessage]:
        if not self.directory.is_dir():
            return []
        files = sorted(self.directory.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
        return [
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
            for p in files
        ]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages() if address in str(m["To"])]


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def html_of(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


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
            secret_key="test-secret-key-not-for-production",
            forms=FormSettings(**{**NO_LIMITS, **forms}),
        )
        application = create_app(settings, clock=clock, store=store)
        application.config["TESTING"] = True
        return application

    return build


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoServer]:
    """A real moto_server process (DynamoDB over HTTP) for the whole session."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in MOTO_ENV.items():
            patch.setenv(name, value)
        with MotoServer() as server:
            yield server


def dynamodb_store(moto: MotoServer) -> DynamoDBStore:
    """A fresh table per test on the moto server."""
    store = DynamoDBStore(
        f"forms-{uuid.uuid4().hex[:12]}", endpoint_url=moto.endpoint, region_name=MOTO_REGION
    )
    store.create_table()
    return store


@pytest.fixture
def store_backend() -> str:
    """Modules that run on both stores override this with a parametrised fixture."""
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


def set_sessions(content_dir: Path, change: Callable[[list[dict[str, Any]]], None]) -> None:
    path = content_dir / "seminars.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data["sessions"])
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
