"""`compose`: templates to a complete, safe MIME message."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from jinja2 import UndefinedError

from campaign_core.mail import HeaderInjectionError, Mailer, compose, create_mailer
from campaign_core.mail.compose import Rendered
from campaign_core.mail.outbox import OutboxMailer
from campaign_core.mail.ses import SESMailer
from campaign_core.mail.smtp import SMTPMailer
from campaign_core.mail.suppression import SuppressingMailer
from campaign_core.settings import PROJECT_ROOT, AwsSettings, Settings, SmtpSettings
from campaign_core.store.sqlite import SQLiteStore
from tests.support.mail import ICS, SENDER, VALUES, decoded_from, parts, write_templates

NOW = datetime(2026, 11, 27, 10, 30, tzinfo=UTC)


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    return write_templates(tmp_path / "mail")


def test_compose_builds_an_alternative_message(templates: Path) -> None:
    message = compose(templates, "welcome", to="hanako@example.co.jp", sender=SENDER, values=VALUES, now=NOW)
    assert message.get_content_type() == "multipart/alternative"
    assert message["Subject"] == "【受付】株式会社テスト商事 様のお申し込みを承りました"
    assert message["To"] == "hanako@example.co.jp"
    text, html = parts(message)
    assert "会社名: 株式会社テスト商事" in text
    assert '<a href="https://drill.example.jp/c/abc">' in html
    assert parsedate_to_datetime(message["Date"]) == NOW
    assert re.fullmatch(r"<[^@<>]+@drill\.example\.jp>", message["Message-ID"])


def test_wire_format_is_ascii_with_encoded_words(templates: Path) -> None:
    message = compose(templates, "welcome", to="hanako@example.co.jp", sender=SENDER, values=VALUES, now=NOW)
    raw = bytes(message)
    raw.decode("ascii")  # Japanese travels as RFC 2047 words and base64 bodies only
    unfolded = raw.replace(b"\r\n ", b" ").replace(b"\n ", b" ")
    from_line = next(line for line in unfolded.splitlines() if line.startswith(b"From:"))
    assert re.match(rb"From: =\?utf-8\?[bq]\?.+\?= <noreply@drill\.example\.jp>", from_line)
    assert decoded_from(raw) == ("セキュリティ訓練キャンペーン事務局", "noreply@drill.example.jp")
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["Subject"] == message["Subject"]
    assert parts(parsed) == parts(message)


def test_date_is_the_given_instant_in_any_zone(templates: Path) -> None:
    jst = timezone(timedelta(hours=9))
    message = compose(
        templates, "welcome", to="a@example.jp", sender=SENDER, values=VALUES, now=NOW.astimezone(jst)
    )
    assert parsedate_to_datetime(message["Date"]) == NOW
    with pytest.raises(ValueError, match="timezone-aware"):
        compose(
            templates, "welcome", to="a@example.jp", sender=SENDER, values=VALUES, now=datetime(2026, 1, 1)
        )


def test_html_is_escaped_and_text_is_not(templates: Path) -> None:
    values = {**VALUES, "company": "<b>&株式会社</b>"}
    message = compose(templates, "welcome", to="a@example.jp", sender=SENDER, values=values, now=NOW)
    text, html = parts(message)
    assert "会社名: <b>&株式会社</b>" in text
    assert "会社名: &lt;b&gt;&amp;株式会社&lt;/b&gt;" in html
    assert "<b>" not in html


def test_a_missing_value_fails_instead_of_mailing_a_blank(templates: Path) -> None:
    with pytest.raises(UndefinedError):
        compose(templates, "welcome", to="a@example.jp", sender=SENDER, values={"name": "x"}, now=NOW)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("company", "テスト\r\nBcc: victim@example.com"),  # into the subject
        ("to", "a@example.jp\r\nBcc: victim@example.com"),
        ("to", "a@example.jp\nX-Injected: 1"),
        ("sender", "事務局 <noreply@drill.example.jp>\rBcc: victim@example.com"),
        ("header", "ok\r\nBcc: victim@example.com"),
    ],
)
def test_header_injection_is_refused(templates: Path, field: str, value: str) -> None:
    to, sender, values, headers = "a@example.jp", SENDER, dict(VALUES), {"Reply-To": "desk@example.jp"}
    if field == "company":
        values["company"] = value
    elif field == "to":
        to = value
    elif field == "sender":
        sender = value
    else:
        headers["Reply-To"] = value
    with pytest.raises(HeaderInjectionError):
        compose(templates, "welcome", to=to, sender=sender, values=values, now=NOW, headers=headers)


@pytest.mark.parametrize("to", ["a@example.jp, b@example.jp", "no-at-sign", "", "x@"])
def test_to_must_be_exactly_one_address(templates: Path, to: str) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        compose(templates, "welcome", to=to, sender=SENDER, values=VALUES, now=NOW)


def test_attachments_make_a_mixed_message(templates: Path) -> None:
    message = compose(
        templates,
        "welcome",
        to="a@example.jp",
        sender="noreply@drill.example.jp",
        values=VALUES,
        now=NOW,
        attachments=[("seminar.ics", ICS, "text/calendar; method=REQUEST")],
        headers={"Auto-Submitted": "auto-replied"},
    )
    assert message.get_content_type() == "multipart/mixed"
    assert message["From"] == "noreply@drill.example.jp"
    assert message["Auto-Submitted"] == "auto-replied"
    (attachment,) = list(message.iter_attachments())
    assert isinstance(attachment, EmailMessage)
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "REQUEST"
    assert attachment.get_filename() == "seminar.ics"
    assert attachment.get_payload(decode=True) == ICS
    text, _ = parts(message)
    assert "株式会社テスト商事" in text


def test_create_mailer_picks_the_adapter_and_wraps_it_in_the_suppression_list(tmp_path: Path) -> None:
    base = Settings(
        data_dir=tmp_path / "var",
        site_dir=tmp_path,
        content_dir=PROJECT_ROOT / "content",
        secret_key="k",
        smtp=SmtpSettings(host="relay.example.jp", port=587, starttls=True),
    )
    store = SQLiteStore(tmp_path / "campaign.sqlite3")

    def adapter(settings: Settings) -> Mailer:
        mailer = create_mailer(settings, store)
        assert isinstance(mailer, SuppressingMailer) and mailer.store is store
        return mailer.inner

    outbox = adapter(base)
    assert isinstance(outbox, OutboxMailer) and outbox.outbox_dir == tmp_path / "var" / "outbox"
    smtp = adapter(base.with_overrides(mail_backend="smtp"))
    assert isinstance(smtp, SMTPMailer)
    assert (smtp.host, smtp.port, smtp.starttls) == ("relay.example.jp", 587, True)
    ses = adapter(base.with_overrides(mail_backend="ses", aws=AwsSettings(ses_configuration_set="c")))
    assert isinstance(ses, SESMailer) and ses.configuration_set == "c"
    with pytest.raises(ValueError, match="unknown mail backend"):
        create_mailer(base.with_overrides(mail_backend="pigeon"), store)
    store.close()


def test_compose_takes_content_rendered_elsewhere_and_its_message_id() -> None:
    rendered = Rendered(subject="【重要】確認のお願い", text="本文です。\n", html="<p>本文です。</p>\n")
    sender = Address(display_name="総務部 山田", addr_spec="soumu@drill.example.jp")
    message = compose(rendered, to="a@example.jp", sender=sender, now=NOW, message_id="<m1@drill.example.jp>")
    assert message.policy is policy.default
    assert message["Subject"] == "【重要】確認のお願い"
    assert message["From"].addresses == (sender,)
    assert message["Message-ID"] == "<m1@drill.example.jp>"
    assert parts(message) == ("本文です。\n", "<p>本文です。</p>\n")
    with pytest.raises(TypeError):
        compose(rendered, "welcome", to="a@example.jp", sender=sender, now=NOW)
    with pytest.raises(HeaderInjectionError):
        compose(rendered, to="a@example.jp", sender=sender, now=NOW, message_id="<m@d>\r\nBcc: x@example.com")
    with pytest.raises(HeaderInjectionError):
        compose(
            replace(rendered, subject="件名\nBcc: x@example.com"), to="a@example.jp", sender=sender, now=NOW
        )


def test_every_mailer_has_a_session(tmp_path: Path) -> None:
    """The drill run sends inside `mailer.session()`: a no-op but for SMTP (one connection)."""
    store = SQLiteStore(tmp_path / "campaign.sqlite3")
    mailers: list[Mailer] = [
        OutboxMailer(tmp_path / "outbox"),
        SESMailer(region_name="ap-northeast-1"),
        SMTPMailer("127.0.0.1", 9),
        SuppressingMailer(SMTPMailer("127.0.0.1", 9), store),
    ]
    for mailer in mailers:
        with mailer.session():
            pass
    smtp = SMTPMailer("127.0.0.1", 9)
    with SuppressingMailer(smtp, store).session():  # the wrapper holds the inner mailer's session
        assert smtp._local.sessions == 1
    assert smtp._local.sessions == 0
    store.close()
