"""The mail port's contract, run against every mailer: the outbox, SMTP (a real aiosmtpd server on
loopback) and SES (a real moto server process), each built by `create_mailer` as every path builds
it (with the suppression list). What arrives is what was composed; a failure for one message and a
failure of the whole account are told apart the same way by each."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest

from campaign_core.mail import (
    AccountMailError,
    HeaderInjectionError,
    Mailer,
    PermanentMailError,
    TransientMailError,
    compose,
    create_mailer,
)
from campaign_core.mail.ses import SESMailer
from campaign_core.mail.smtp import SMTPMailer
from campaign_core.mail.suppression import suppress
from campaign_core.settings import Settings
from campaign_core.store import Store
from campaign_core.store.sqlite import SQLiteStore
from tests.support import scratch_settings
from tests.support.mail import ICS, SENDER, VALUES, decoded_from, parts, write_templates
from tests.support.servers import MOTO_REGION, MotoServer, SMTPServer, free_port

NOW = datetime(2026, 11, 27, 10, 30, tzinfo=UTC)
SENDER_DOMAIN = "drill.example.jp"


@dataclass
class Channel:
    name: str
    mailer: Mailer
    delivered: Callable[[], list[bytes]]


def _settings(tmp_path: Path, backend: str, extra: dict[str, str]) -> Settings:
    return scratch_settings(tmp_path, "contract-test", CAMPAIGN_MAIL=backend, **extra)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = SQLiteStore(tmp_path / "mail-contract.sqlite3")
    yield opened
    opened.close()


def verify_sender(moto: MotoServer, domain: str = SENDER_DOMAIN) -> None:
    """moto, like SES, refuses to send from an identity that was never verified."""
    client = boto3.client(
        "sesv2",
        endpoint_url=moto.endpoint,
        region_name=MOTO_REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_email_identity(EmailIdentity=domain)


@pytest.fixture(params=["outbox", "smtp", "ses"])
def channel(request: pytest.FixtureRequest, tmp_path: Path, store: Store) -> Iterator[Channel]:
    if request.param == "outbox":
        settings = _settings(tmp_path, "outbox", {})
        outbox = settings.outbox_dir
        yield Channel(
            "outbox",
            create_mailer(settings, store),
            lambda: [path.read_bytes() for path in sorted(outbox.glob("*.eml"))],
        )
    elif request.param == "smtp":
        smtp: SMTPServer = request.getfixturevalue("smtp_server")
        smtp.clear()
        extra = {"CAMPAIGN_SMTP_HOST": smtp.host, "CAMPAIGN_SMTP_PORT": str(smtp.port)}
        yield Channel(
            "smtp",
            create_mailer(_settings(tmp_path, "smtp", extra), store),
            lambda: [m.raw for m in smtp.received],
        )
    else:
        moto: MotoServer = request.getfixturevalue("moto_server")
        moto.reset()
        verify_sender(moto)
        extra = {"CAMPAIGN_AWS_ENDPOINT_URL": moto.endpoint}
        yield Channel(
            "ses",
            create_mailer(_settings(tmp_path, "ses", extra), store),
            lambda: [sent["raw_data"].encode("ascii") for sent in moto.sent_emails()],
        )


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    return write_templates(tmp_path / "mail")


def _parse(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_the_message_arrives_as_composed(channel: Channel, templates: Path) -> None:
    sent = compose(
        templates,
        "welcome",
        to="hanako@example.co.jp",
        sender=SENDER,
        values=VALUES,
        now=NOW,
        attachments=[("seminar.ics", ICS, "text/calendar; method=REQUEST")],
    )
    message_id = channel.mailer.send(sent)
    assert message_id

    (raw,) = channel.delivered()
    if channel.name == "ses":
        assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF line ends on the wire
    arrived = _parse(raw)
    assert arrived["Subject"] == "【受付】株式会社テスト商事 様のお申し込みを承りました"
    assert decoded_from(raw) == ("セキュリティ訓練キャンペーン事務局", "noreply@drill.example.jp")
    assert arrived["To"] == "hanako@example.co.jp"
    assert arrived["Message-ID"] == sent["Message-ID"]
    assert arrived["Date"] == sent["Date"]
    text, html = parts(arrived)
    assert (text, html) == parts(sent)
    assert "会社名: 株式会社テスト商事" in text
    assert "<p>山田 花子 様</p>" in html
    (attachment,) = list(arrived.iter_attachments())
    assert isinstance(attachment, EmailMessage)
    assert attachment.get_filename() == "seminar.ics"
    assert attachment.get_payload(decode=True) == ICS


@pytest.mark.parametrize(
    ("to", "company"),
    [
        ("hanako@example.co.jp", "テスト\r\nBcc: victim@example.com"),  # in a value put in the subject
        ("hanako@example.co.jp\nBcc: victim@example.com", "テスト"),  # in the recipient
    ],
    ids=["value", "recipient"],
)
def test_header_injection_raises_before_anything_is_sent(
    channel: Channel, templates: Path, to: str, company: str
) -> None:
    with pytest.raises(HeaderInjectionError):
        channel.mailer.send(
            compose(
                templates, "welcome", to=to, sender=SENDER, values={**VALUES, "company": company}, now=NOW
            )
        )
    assert channel.delivered() == []


def _message(templates: Path, to: str, sender: str = SENDER) -> EmailMessage:
    return compose(templates, "welcome", to=to, sender=sender, values=VALUES, now=NOW)


def test_a_suppressed_address_is_refused_by_every_channel(
    channel: Channel, templates: Path, store: Store
) -> None:
    # The address bounced for good once: whichever path sends, nothing reaches the provider.
    suppress(store, "Gone@Example.co.jp", reason="bounce", detail="Permanent/General", now=NOW)
    with pytest.raises(PermanentMailError, match="suppressed"):
        channel.mailer.send(_message(templates, "gone@example.co.jp"))
    assert channel.delivered() == []
    # Everyone else still gets mail through the same mailer.
    assert channel.mailer.send(_message(templates, "hanako@example.co.jp"))
    assert len(channel.delivered()) == 1


def test_smtp_4xx_is_transient_and_5xx_permanent(smtp_server: SMTPServer, templates: Path) -> None:
    smtp_server.clear()
    mailer = SMTPMailer(smtp_server.host, smtp_server.port, timeout=5)
    with pytest.raises(TransientMailError, match="451"):
        mailer.send(_message(templates, "tempfail@example.co.jp"))
    with pytest.raises(PermanentMailError, match="550"):
        mailer.send(_message(templates, "reject@example.co.jp"))
    assert smtp_server.received == []
    assert mailer.send(_message(templates, "ok@example.co.jp"))
    assert [m.rcpt_tos for m in smtp_server.received] == [["ok@example.co.jp"]]


def test_smtp_unreachable_relay_stops_everything(templates: Path) -> None:
    mailer = SMTPMailer("127.0.0.1", free_port(), timeout=2)  # nothing listens there
    with pytest.raises(AccountMailError, match="connection") as caught:
        mailer.send(_message(templates, "ok@example.co.jp"))
    assert caught.value.reason == "relay_unreachable"


def test_smtp_login_the_relay_cannot_take_stops_everything(smtp_server: SMTPServer, templates: Path) -> None:
    smtp_server.clear()
    mailer = SMTPMailer(smtp_server.host, smtp_server.port, username="campaign", password="x", timeout=5)
    with pytest.raises(AccountMailError) as caught:
        mailer.send(_message(templates, "ok@example.co.jp"))
    assert caught.value.reason == "relay_unsupported"  # this relay offers no AUTH at all
    assert smtp_server.received == []


def test_smtp_starttls(tmp_path: Path, templates: Path, store: Store) -> None:
    with SMTPServer(tls=True) as server:
        assert server.ca_file is not None
        extra = {
            "CAMPAIGN_SMTP_HOST": server.host,
            "CAMPAIGN_SMTP_PORT": str(server.port),
            "CAMPAIGN_SMTP_STARTTLS": "1",
            "CAMPAIGN_SMTP_CA_FILE": str(server.ca_file),
        }
        mailer = create_mailer(_settings(tmp_path, "smtp", extra), store)
        assert mailer.send(_message(templates, "ok@example.co.jp"))
        assert len(server.received) == 1
        # Without STARTTLS this relay refuses our sender (530): no message can go, so the run stops.
        plain = SMTPMailer(server.host, server.port, timeout=5)
        with pytest.raises(AccountMailError, match="530") as refused:
            plain.send(_message(templates, "ok@example.co.jp"))
        assert refused.value.reason == "sender_refused"
        # A certificate we do not trust is refused too.
        untrusted = SMTPMailer(server.host, server.port, starttls=True, timeout=5)
        with pytest.raises(AccountMailError, match="not trusted"):
            untrusted.send(_message(templates, "ok@example.co.jp"))
        assert len(server.received) == 1


def test_ses_unverified_sender_stops_everything(moto_server: MotoServer, templates: Path) -> None:
    moto_server.reset()
    mailer = SESMailer(endpoint_url=moto_server.endpoint, region_name=MOTO_REGION)
    with pytest.raises(AccountMailError, match="MessageRejected") as caught:
        mailer.send(_message(templates, "ok@example.co.jp"))
    assert caught.value.reason == "identity_not_verified"
    assert moto_server.sent_emails() == []


def test_ses_refusing_one_recipient_fails_only_that_message(moto_server: MotoServer, templates: Path) -> None:
    moto_server.reset()
    verify_sender(moto_server)
    mailer = SESMailer(endpoint_url=moto_server.endpoint, region_name=MOTO_REGION)
    # A quoted local part with an "@" is a valid address to us and one SES (moto) refuses.
    with pytest.raises(PermanentMailError, match="InvalidParameterValue"):
        mailer.send(_message(templates, '"a@b"@example.co.jp'))
    assert mailer.send(_message(templates, "ok@example.co.jp"))
    assert len(moto_server.sent_emails()) == 1


def test_ses_configuration_set_is_passed(moto_server: MotoServer, templates: Path) -> None:
    moto_server.reset()
    verify_sender(moto_server)
    mailer = SESMailer(
        endpoint_url=moto_server.endpoint,
        region_name=MOTO_REGION,
        configuration_set="campaign-events",
    )
    events: list[dict[str, object]] = []
    mailer.client.meta.events.register(
        "provide-client-params.sesv2.SendEmail", lambda params, **_: events.append(dict(params))
    )
    assert mailer.send(_message(templates, "ok@example.co.jp"))
    assert events[0]["ConfigurationSetName"] == "campaign-events"
    assert len(moto_server.sent_emails()) == 1


def test_ses_unreachable_endpoint_stops_everything(templates: Path) -> None:
    mailer = SESMailer(
        endpoint_url=f"http://127.0.0.1:{free_port()}",  # nothing listens there
        region_name=MOTO_REGION,
        max_attempts=1,
    )
    with pytest.raises(AccountMailError, match="unreachable"):
        mailer.send(_message(templates, "ok@example.co.jp"))


class _SESErrorHandler(BaseHTTPRequestHandler):
    """Answers every SES v2 call with the error the test asks for (status and code in the path)."""

    reply: tuple[int, str, str] = (500, "InternalFailure", "")

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        status, code, message = type(self).reply
        body = json.dumps({"message": message or f"{code} for the test"}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("x-amzn-ErrorType", code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.mark.parametrize(
    ("status", "code", "message", "reason"),
    [
        (429, "TooManyRequestsException", "Maximum sending rate exceeded.", "throttled"),
        (400, "LimitExceededException", "Daily message quota exceeded.", "throttled"),
        (400, "Throttling", "Maximum sending rate exceeded.", "throttled"),
        (500, "InternalFailure", "", "unavailable"),
        (503, "ServiceUnavailable", "", "unavailable"),
        (403, "AccessDeniedException", "not authorized to perform: ses:SendRawEmail", "access_denied"),
        (400, "AccountSuspendedException", "", "account_suspended"),
        (400, "SendingPausedException", "", "sending_paused"),
        (400, "AccountSendingPausedException", "", "sending_paused"),
        (400, "MailFromDomainNotVerifiedException", "", "mail_from_not_verified"),
        (400, "NotFoundException", "Configuration set <campaign> does not exist.", "configuration_missing"),
        # The sandbox: the recipient is not verified, so nobody outside can get mail yet.
        (400, "MessageRejected", "Email address is not verified. The following identities failed "
         "the check in region AP-NORTHEAST-1: hanako@example.co.jp", "identity_not_verified"),
        # Any other refusal is about this message, not the account.
        (400, "MessageRejected", "Illegal address", ""),
        (400, "BadRequestException", "Missing final '@domain'", ""),
    ],
)  # fmt: skip
def test_ses_errors_are_classified(
    templates: Path, status: int, code: str, message: str, reason: str
) -> None:
    handler = type("Handler", (_SESErrorHandler,), {"reply": (status, code, message)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        mailer = SESMailer(
            endpoint_url=f"http://127.0.0.1:{server.server_address[1]}",
            region_name=MOTO_REGION,
            max_attempts=1,
        )
        with pytest.raises(AccountMailError if reason else PermanentMailError, match=code) as caught:
            mailer.send(_message(templates, "ok@example.co.jp"))
        assert getattr(caught.value, "reason", "") == reason
    finally:
        server.shutdown()
        server.server_close()
