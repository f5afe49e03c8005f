"""Fixtures and helpers of the drill-run and HQ tests: a store on SQLite or on DynamoDB (a fresh
table on the session's moto server), accepted applications made through the forms services, drill
services with an injected clock and pacing time sending to the session's SMTP server (`smtp`, in
`tests/conftest.py`), a sent drill with its tracking links, and the staff command through click.

`tests/drill/conftest.py` and `tests/hq/conftest.py` import the fixtures from here."""

from __future__ import annotations

import itertools
import re
import smtplib
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

import pytest
from click.testing import CliRunner, Result
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from campaign_core.clock import FixedClock
from campaign_core.deps import Deps
from campaign_core.mail import OutboxMailer
from campaign_core.records import CHECK
from campaign_core.settings import PROJECT_ROOT, Settings, load_settings
from campaign_core.store import Store, create_store
from campaign_core.store.dynamodb import DynamoDBStore
from cli.main import cli
from drill_sender.app import create_app
from drill_sender.services.schedule import schedule
from drill_sender.services.send import send_due
from form_lambda.rendering import load_chambers
from form_lambda.services import drill as drill_forms
from form_lambda.services import oneshot as oneshot_forms
from form_lambda.services.domains import add_checked
from form_lambda.validation import validate_drill, validate_oneshot
from local.report_listener import InboundServer
from tests.support import TEST_SECRET
from tests.support.forms import DRILL_FORM
from tests.support.servers import FaultySMTPServer, MotoServer, free_port

# Monday 30 November 2026, 09:00 JST: a business day, the window opens.
MONDAY_9_JST = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
OFFICER_DOMAIN = "test-corp.example.jp"

# What `tests/drill/conftest.py` and `tests/hq/conftest.py` take with `import *`: the fixtures.
__all__ = [
    "backend",
    "client",
    "clock",
    "deps",
    "make_deps",
    "pacing",
    "report_inbox",
    "run",
    "sent",
    "sent_oneshot",
    "settings",
    "store",
    "store_environ",
    "store_extra",
]

_office_numbers = itertools.count(1)


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
    server: MotoServer = request.getfixturevalue("moto_server")
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
    # The forms' own mails (confirmation, acceptance) go to the outbox, not to the drill relay;
    # the drill suites apply many times for one officer a day, so the forms' daily mail cap is off
    # (tests/forms/test_abuse.py covers it).
    uncapped = replace(settings, forms=replace(settings.forms, mails_per_address_day=0))
    return Deps(store=store, mailer=OutboxMailer(settings.outbox_dir), clock=clock, settings=uncapped)


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
        **DRILL_FORM,
        "address": f"千代田区千代田{number}-2-3",
        "officer_email": f"taro@{OFFICER_DOMAIN}",
        "participants": "\n".join(participants),
        **fields,
    }
    cleaned, errors = validate_drill(form, chambers=load_chambers(settings.content_dir))
    assert cleaned is not None, errors
    # Branch staff checked the test company's domain: its addresses need no confirmation.
    add_checked(store, clock, OFFICER_DOMAIN)
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


def scheduled_drills(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps, *people: Sequence[str]
) -> list[str]:
    """One accepted application for each list of participants, its drill scheduled over one day
    from the clock's day (Mon 30 Nov 2026 in the drill suites); the application ids."""
    drills = [accepted_application(store, settings, clock, participants) for participants in people]
    for app_id in drills:
        schedule(deps, app_id, days=1)
    return drills


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


ONESHOT_ADDRESS = "sample@test-corp.example.jp"


@pytest.fixture
def sent_oneshot(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps, smtp: FaultySMTPServer
) -> list[EmailMessage]:
    """A confirmed one-shot request for `ONESHOT_ADDRESS` whose sample the sender has sent: the
    mails sent (the sample, then its status notice)."""
    confirmed_oneshot(store, settings, clock, ONESHOT_ADDRESS)
    assert send_due(deps).count("sent") == 1
    return [received.message for received in smtp.received]


def staff(count: int) -> list[str]:
    return [f"staff{i}@{OFFICER_DOMAIN}" for i in range(1, count + 1)]


def after_window(clock: FixedClock, days: int = 3) -> None:
    """Move past every send time of a window of `days` business days from today."""
    clock.advance(timedelta(days=days + 7))


def scheduled_and_due(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps, participants: Sequence[str]
) -> str:
    """An accepted application for `participants`, scheduled over one day, with the clock moved
    past every send time; returns the application id."""
    app_id = accepted_application(store, settings, clock, participants)
    schedule(deps, app_id, days=1)
    after_window(clock)
    return app_id


# -- a sent drill and its tracking links ----------------------------------------------------------

BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"
OFFICE_ADDRESS = "198.51.100.7"
_URL = re.compile(r"http://drill\.test(/t/[^\"'\s<>]+)")


@dataclass
class SentDrill:
    application_id: str
    # recipient -> (pixel path, click paths in order)
    links: dict[str, tuple[str, list[str]]]
    # recipient -> the drill mail as it reached them (to forward it as a report)
    mails: dict[str, EmailMessage]


def tracking_paths(html: str) -> tuple[str, list[str]]:
    """The open pixel and the click paths of a drill mail's HTML."""
    found = list(dict.fromkeys(m.group(1).replace("&amp;", "&") for m in _URL.finditer(html)))
    pixel = next(p for p in found if p.startswith("/t/o/"))
    return pixel, [p for p in found if p.startswith("/t/c/")]


@pytest.fixture
def sent(
    store: Store, settings: Settings, clock: FixedClock, deps: Deps, smtp: FaultySMTPServer
) -> Callable[..., SentDrill]:
    def make(count: int = 3, month: int = 8, variant: str = "subtle") -> SentDrill:
        app_id = accepted_application(store, settings, clock, staff(count))
        schedule(deps, app_id, days=1, month=month, variant=variant)
        clock.advance(timedelta(days=7))
        assert send_due(deps).count("sent") == count
        links, mails = {}, {}
        for mail in smtp.received:
            body = mail.message.get_body(("html",))
            assert body is not None
            links[mail.rcpt_tos[0]] = tracking_paths(body.get_content())
            mails[mail.rcpt_tos[0]] = mail.message
        return SentDrill(app_id, links, mails)

    return make


@pytest.fixture
def client(store: Store, settings: Settings, clock: FixedClock, smtp: FaultySMTPServer) -> FlaskClient:
    """The drill sender app (tracking, sheets, reports) on the test's store."""
    app = create_app(settings, store=store, mailer=smtp.mailer(), clock=clock)
    app.config["TESTING"] = True
    return app.test_client()


def get(
    client: FlaskClient,
    path: str,
    *,
    agent: str = BROWSER,
    address: str = OFFICE_ADDRESS,
    headers: dict[str, str] | None = None,
) -> TestResponse:
    """A GET as a mail client or browser at `address` would send it."""
    sent_headers = {"User-Agent": agent, **(headers or {})}
    return client.get(path, headers=sent_headers, environ_base={"REMOTE_ADDR": address})


# -- reports forwarded to the drill's report address ----------------------------------------------

REPORT_TO = "report@drill.example.jp"


@dataclass
class ReportInbox:
    """The drill's report address: the SMTP listener the local server starts (on loopback) that
    participants forward drill mails to, and the check records that credit them."""

    server: InboundServer
    store: Store

    def forwarded(self) -> dict[str, str]:
        """Each participant the check records credit with a forward: when it arrived ("" if never)."""
        return {str(r.data["email"]): str(r.data.get("forwarded_at") or "") for r in self.store.query(CHECK)}

    def send(self, sender: str, raw: bytes) -> tuple[int, bytes]:
        """Deliver raw bytes to `REPORT_TO` as a mail client would; the listener's answer to DATA."""
        with smtplib.SMTP(self.server.host, self.server.port, timeout=10) as client:
            client.ehlo()
            client.mail(sender)
            client.rcpt(REPORT_TO)
            code, answer = client.data(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))  # as sent: CRLF
        return code, answer

    def forward(self, sender: str, message: EmailMessage, to: str = REPORT_TO) -> None:
        """Send `message` to `to`; a recipient the listener refuses raises `SMTPRecipientsRefused`."""
        with smtplib.SMTP(self.server.host, self.server.port, timeout=10) as client:
            client.send_message(message, from_addr=sender, to_addrs=[to])


@pytest.fixture
def report_inbox(deps: Deps) -> Iterator[ReportInbox]:
    server = InboundServer(deps, "127.0.0.1", free_port())
    server.start()
    yield ReportInbox(server, deps.store)
    server.stop()


# -- the staff command ----------------------------------------------------------------------------


def staff_command_env(settings: Settings, smtp: FaultySMTPServer, now: str, **more: str) -> dict[str, str]:
    """The environment staff run `campaign` with: the test's settings, the SMTP server, `now`."""
    return {
        "CAMPAIGN_DATA_DIR": str(settings.data_dir),
        "CAMPAIGN_SECRET_KEY": TEST_SECRET,
        "CAMPAIGN_BASE_URL": settings.base_url,
        "CAMPAIGN_STORE": settings.store_backend,
        "CAMPAIGN_MAIL": "smtp",
        "CAMPAIGN_SMTP_HOST": smtp.host,
        "CAMPAIGN_SMTP_PORT": str(smtp.port),
        "CAMPAIGN_SEND_RATE": "0",
        "CAMPAIGN_NOW": now,
        **store_environ(settings),
        **more,
    }


class Run(Protocol):
    def __call__(self, *args: str, now: str | None = None, **env: str) -> Result: ...


@pytest.fixture
def run(settings: Settings, smtp: FaultySMTPServer, clock: FixedClock) -> Run:
    """`campaign ARGS` through click, with the test's settings as environment variables."""

    def invoke(*args: str, now: str | None = None, **env: str) -> Result:
        environment = staff_command_env(settings, smtp, now or clock.now().isoformat(), **env)
        return CliRunner().invoke(cli, list(args), env=environment, catch_exceptions=False)

    return invoke
