"""Fixtures of the drill-run tests: a store on SQLite or on DynamoDB (a real moto server), a real
SMTP server (aiosmtpd) that can refuse, defer or hang up on command, accepted applications made
through the forms services, and drill services with an injected clock and pacing time."""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from campaign_core.clock import FixedClock
from campaign_core.deps import Deps
from campaign_core.mail import OutboxMailer
from campaign_core.mail.smtp import SMTPMailer
from campaign_core.settings import PROJECT_ROOT, Settings, load_settings
from campaign_core.store import Store, create_store
from campaign_core.store.dynamodb import DynamoDBStore
from form_lambda.rendering import load_chambers
from form_lambda.services import drill as drill_forms
from form_lambda.services import oneshot as oneshot_forms
from form_lambda.validation import validate_drill, validate_oneshot
from tests.servers import MOTO_ENV, MotoServer, ReceivedMail, free_port

TEST_SECRET = "test-secret-key-not-for-production"
# Monday 30 November 2026, 09:00 JST: a business day, the window opens.
MONDAY_9_JST = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
OFFICER_DOMAIN = "test-corp.example.jp"

_office_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoServer]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in MOTO_ENV.items():
            patch.setenv(name, value)
        with MotoServer() as server:
            yield server


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MONDAY_9_JST)


@pytest.fixture(params=["sqlite", "dynamodb"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store_extra(backend: str, request: pytest.FixtureRequest) -> dict[str, str]:
    if backend == "sqlite":
        return {}
    server: MotoServer = request.getfixturevalue("moto")
    return {
        "CAMPAIGN_DYNAMODB_TABLE": f"drill-{uuid.uuid4().hex[:12]}",
        "CAMPAIGN_AWS_ENDPOINT_URL": server.endpoint,
    }


@pytest.fixture
def settings(tmp_path: Path, backend: str, store_extra: dict[str, str]) -> Settings:
    return load_settings(
        {
            "CAMPAIGN_DATA_DIR": str(tmp_path / "var"),
            "CAMPAIGN_SITE_DIR": str(tmp_path / "site"),
            "CAMPAIGN_CONTENT_DIR": str(PROJECT_ROOT / "content"),
            "CAMPAIGN_SECRET_KEY": TEST_SECRET,
            "CAMPAIGN_BASE_URL": "http://drill.test",
            "CAMPAIGN_STORE": backend,
            **store_extra,
            "CAMPAIGN_SEND_RATE": "0",
        }
    )


def store_environ(settings: Settings) -> dict[str, str]:
    """The variables that give a command run in a subprocess or through click the fixture's store
    (and no pacing), as `settings` was built from."""
    environ = {"CAMPAIGN_SEND_RATE": str(settings.send.rate)}
    if settings.store_backend == "dynamodb":
        environ["CAMPAIGN_DYNAMODB_TABLE"] = settings.aws.dynamodb_table
        if settings.aws.endpoint_url:
            environ["CAMPAIGN_AWS_ENDPOINT_URL"] = settings.aws.endpoint_url
    return environ


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    created = create_store(settings)
    if isinstance(created, DynamoDBStore):
        created.create_table()
        yield created
        created.client.delete_table(TableName=created.table_name)
        return
    yield created


# -- a real SMTP server with faults on command ---------------------------------------------------


@dataclass
class FaultyHandler:
    """Accepts mail like a relay; `reject…@` gets 550, `defer[address] = n` answers 451 n times,
    and while `hang_up` is set the server closes the connection instead of answering DATA (a
    relay that goes away mid-run). `hang_up_after = n` sets `hang_up` once n mails were accepted."""

    received: list[ReceivedMail] = field(default_factory=list)
    defer: dict[str, int] = field(default_factory=dict)
    hang_up: bool = False
    hang_up_after: int | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        with self.lock:
            if address.split("@", 1)[0].lower().startswith("reject"):
                return "550 5.1.1 No such user here"
            if self.defer.get(address, 0) > 0:
                self.defer[address] -= 1
                return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.lock:
            if self.hang_up:
                assert server.transport is not None
                server.transport.close()
                return "421 4.3.2 Closing"
            self.received.append(
                ReceivedMail(str(envelope.mail_from), list(envelope.rcpt_tos), bytes(envelope.content or b""))
            )
            if self.hang_up_after is not None and len(self.received) >= self.hang_up_after:
                self.hang_up = True
        return "250 Message accepted for delivery"


class FaultySMTPServer:
    def __init__(self) -> None:
        self.handler = FaultyHandler()
        self.host, self.port = "127.0.0.1", free_port()
        self._controller = Controller(self.handler, hostname=self.host, port=self.port)

    @property
    def received(self) -> list[ReceivedMail]:
        with self.handler.lock:
            return list(self.handler.received)

    def recipients(self) -> list[str]:
        return sorted(address for mail in self.received for address in mail.rcpt_tos)

    def mailer(self) -> SMTPMailer:
        return SMTPMailer(self.host, self.port, timeout=10)


@pytest.fixture
def smtp() -> Iterator[FaultySMTPServer]:
    server = FaultySMTPServer()
    server._controller.start()
    yield server
    server._controller.stop()


# -- time for pacing -----------------------------------------------------------------------------


@dataclass
class PacingTime:
    """Monotonic time that only `sleep` moves; keeps every sleep for the rate assertions."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def pacing() -> PacingTime:
    return PacingTime()


@pytest.fixture
def make_deps(
    store: Store, settings: Settings, clock: FixedClock, smtp: FaultySMTPServer, pacing: PacingTime
) -> Callable[..., Deps]:
    def build(**send: Any) -> Deps:
        """`send`: fields of `SendSettings` to change (e.g. `max_attempts=2`)."""
        return Deps(
            store=store,
            mailer=smtp.mailer(),
            clock=clock,
            settings=settings.with_overrides(send=replace(settings.send, **send)),
            monotonic=pacing.monotonic,
            sleep=pacing.sleep,
        )

    return build


@pytest.fixture
def deps(make_deps: Callable[..., Deps]) -> Deps:
    return make_deps()


# -- applications through the forms services ------------------------------------------------------


def form_deps(store: Store, settings: Settings, clock: FixedClock) -> Deps:
    # The forms' own mails (confirmation, acceptance) go to the outbox, not to the drill relay.
    return Deps(store=store, mailer=OutboxMailer(settings.outbox_dir), clock=clock, settings=settings)


def accepted_application(
    store: Store,
    settings: Settings,
    clock: FixedClock,
    participants: Sequence[str],
    *,
    confirm: Sequence[str] = (),
    officer_confirms: bool = True,
    **fields: str,
) -> str:
    """Apply through the forms services, confirm as the officer, and confirm `confirm` participants
    by their own links (as their mails would); returns the application id."""
    number = next(_office_numbers)
    form: dict[str, Any] = {
        "company": "株式会社テスト",
        "office": "",
        "corporate_number": "",
        "postal_code": "100-0001",
        "prefecture": "東京都",
        "address": f"千代田区千代田1-2-{number}",
        "phone": "03-1234-5678",
        "industry": "manufacturing",
        "employees": "6-20",
        "chamber": "札幌商工会議所",
        "member": "non_member",
        "officer_name": "山田 太郎",
        "officer_email": f"taro@{OFFICER_DOMAIN}",
        "participants": "\n".join(participants),
        "reveal_followup": "on",
        "consent": "yes",
        **fields,
    }
    cleaned, errors = validate_drill(form, chambers=load_chambers(settings.content_dir))
    assert cleaned is not None, errors
    d = form_deps(store, settings, clock)
    applied = drill_forms.apply(d, cleaned, consent_version="test")
    assert applied.status == "pending"
    if officer_confirms:
        token = d.signer.sign(drill_forms.CONFIRM_PURPOSE, {"a": applied.application_id})
        assert drill_forms.confirm(d, token).status == "accepted"
    for address in confirm:
        token = d.signer.sign(drill_forms.PARTICIPANT_PURPOSE, {"a": applied.application_id, "p": address})
        assert drill_forms.confirm_participant(d, token).status == "accepted"
    return applied.application_id


def confirm_participant(
    store: Store, settings: Settings, clock: FixedClock, application_id: str, address: str
) -> None:
    """The participant opens their own confirmation link."""
    d = form_deps(store, settings, clock)
    token = d.signer.sign(drill_forms.PARTICIPANT_PURPOSE, {"a": application_id, "p": address})
    assert drill_forms.confirm_participant(d, token).status == "accepted"


def confirmed_oneshot(store: Store, settings: Settings, clock: FixedClock, address: str) -> None:
    cleaned, errors = validate_oneshot(
        {"email": address, "company": "株式会社ワンショット", "consent": "yes"}
    )
    assert cleaned is not None, errors
    d = form_deps(store, settings, clock)
    oneshot_forms.request(d, cleaned, consent_version="test")
    token = d.signer.sign(oneshot_forms.PURPOSE, {"k": oneshot_forms.email_key(address)})
    assert oneshot_forms.confirm(d, token).status == "confirmed"


def staff(count: int) -> list[str]:
    return [f"staff{i}@{OFFICER_DOMAIN}" for i in range(1, count + 1)]
