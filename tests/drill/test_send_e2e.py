"""The whole drill with moved time, as the people involved see it: apply and confirm on the forms,
staff schedule and send with the `campaign` command, a participant opens and clicks over HTTP,
another forwards the mail to the report address, the officer fills the check sheet and reads the
report, the reveal goes out, the chamber gets its list. Embedded (SQLite + a real SMTP server) and
AWS-shaped (DynamoDB + SES, both through moto)."""

from __future__ import annotations

import contextlib
import json
import re
import smtplib
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from click.testing import CliRunner, Result
from flask.testing import FlaskClient

from campaign_core.clock import FixedClock, parse_instant
from campaign_core.deps import Deps
from campaign_core.settings import Settings, load_settings
from campaign_core.store import Store
from cli.main import cli
from local.report_listener import InboundServer
from tests.support import TEST_SECRET
from tests.support.drill import store_environ
from tests.support.servers import MOTO_CREDENTIALS, FaultySMTPServer, MotoServer, free_port

BASE = "http://localhost"
OFFICER = "taro@e2e-corp.example.jp"
STAFF = ["hanako@e2e-corp.example.jp", "ken@e2e-corp.example.jp"]
OUTSIDER = "jiro@partner-e2e.example.com"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"


class Mailbox:
    """What was sent, whichever way it went: a real SMTP server, or SES (moto keeps each message)."""

    def __init__(self, raw: Callable[[], list[bytes]]) -> None:
        self._raw = raw

    def to(self, address: str) -> list[EmailMessage]:
        found = []
        for raw in self._raw():
            parsed = message_from_bytes(raw, policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            if address in str(parsed["To"]):
                found.append(parsed)
        return found

    def text(self, address: str, subject_part: str) -> str:
        matches = [m for m in self.to(address) if subject_part in str(m["Subject"])]
        assert len(matches) == 1, f"{len(matches)} mails to {address} about {subject_part!r}"
        body = matches[0].get_body(("plain",))
        assert body is not None
        return str(body.get_content())


@pytest.fixture
def mail_setup(
    backend: str, request: pytest.FixtureRequest, smtp: FaultySMTPServer
) -> tuple[str, dict[str, str], Mailbox]:
    if backend == "sqlite":
        extra = {"CAMPAIGN_SMTP_HOST": smtp.host, "CAMPAIGN_SMTP_PORT": str(smtp.port)}
        return "smtp", extra, Mailbox(lambda: [m.raw for m in smtp.received])
    moto: MotoServer = request.getfixturevalue("moto")
    ses = boto3.client("sesv2", endpoint_url=moto.endpoint, **MOTO_CREDENTIALS)
    with contextlib.suppress(ses.exceptions.AlreadyExistsException):
        ses.create_email_identity(EmailIdentity="drill.example.jp")
    before = len(moto.sent_emails())
    mailbox = Mailbox(lambda: [m["raw_data"].encode("ascii") for m in moto.sent_emails()[before:]])
    return "ses", {"CAMPAIGN_AWS_ENDPOINT_URL": moto.endpoint}, mailbox


def _link(text: str, path: str) -> str:
    found = re.search(rf"{re.escape(BASE)}{re.escape(path)}\S+", text)
    assert found, f"no {path} link in:\n{text}"
    return found.group(0)


def _confirm(client: FlaskClient, link: str) -> None:
    """Open a confirmation link and press its button, as a browser would."""
    parts = urlsplit(link)
    page = client.get(f"{parts.path}?{parts.query}")
    assert page.status_code == 200
    token = parse_qs(parts.query)["token"][0]
    done = client.post(parts.path, data={"token": token}, headers={"Origin": BASE})
    assert done.status_code == 200, done.get_data(as_text=True)[:500]


def test_a_whole_drill_from_application_to_chamber_feedback(
    backend: str,
    mail_setup: tuple[str, dict[str, str], Mailbox],
    settings: Settings,
    store: Store,
    clock: FixedClock,
    built_site: Path,
    tmp_path: Path,
) -> None:
    from local.serve import create_local_app

    mail_backend, mail_extra, mailbox = mail_setup
    extra = {
        **store_environ(settings),
        **mail_extra,
        "CAMPAIGN_RATE_LIMIT_CLIENT": "off",
        "CAMPAIGN_RATE_LIMIT_EMAIL": "off",
    }
    site = load_settings(
        {
            **extra,
            "CAMPAIGN_DATA_DIR": str(settings.data_dir),
            "CAMPAIGN_SITE_DIR": str(built_site),
            "CAMPAIGN_CONTENT_DIR": str(settings.content_dir),
            "CAMPAIGN_SECRET_KEY": settings.secret_key,
            "CAMPAIGN_BASE_URL": BASE,
            "CAMPAIGN_STORE": settings.store_backend,
            "CAMPAIGN_MAIL": mail_backend,
        }
    )
    app = create_local_app(site)
    app.extensions["campaign_store"] = store
    app.config["CAMPAIGN_CLOCK"] = clock
    client = app.test_client()
    env = {
        **extra,
        "CAMPAIGN_DATA_DIR": str(settings.data_dir),
        "CAMPAIGN_SECRET_KEY": TEST_SECRET,
        "CAMPAIGN_BASE_URL": BASE,
        "CAMPAIGN_STORE": settings.store_backend,
        "CAMPAIGN_MAIL": mail_backend,
    }

    def campaign(*args: str, now: str) -> Result:
        result = CliRunner().invoke(cli, list(args), env={**env, "CAMPAIGN_NOW": now}, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result

    def at(now: str) -> None:
        clock.current = parse_instant(now)

    # Friday: the branch staff have checked the company's mail domain (its staff need no links of
    # their own); the officer applies on the form and confirms; the outside participant confirms.
    at("2026-11-27T10:00")
    campaign("company-domain", "add", OFFICER.split("@")[1], now="2026-11-27T09:00")
    form = {
        "company": "株式会社イーツーイー", "office": "", "corporate_number": "", "postal_code": "060-0001",
        "prefecture": "北海道", "address": "札幌市中央区北一条西2-1", "phone": "011-123-4567",
        "industry": "manufacturing", "employees": "6-20", "chamber": "札幌商工会議所", "member": "member",
        "officer_name": "山田 太郎", "officer_email": OFFICER, "participants": "\n".join([*STAFF, OUTSIDER]),
        "variant": "auto", "reveal": "on", "followup": "on", "consent": "yes",
    }  # fmt: skip
    applied = client.post("/api/drill", data=form, headers={"Origin": BASE})
    assert applied.status_code == 200, applied.get_data(as_text=True)[:500]
    _confirm(client, _link(mailbox.text(OFFICER, "確定"), "/api/drill/confirm"))
    _confirm(client, _link(mailbox.text(OUTSIDER, ""), "/api/drill/participant"))

    # Branch staff find the application and schedule it for Monday and Tuesday.
    (row,) = json.loads(
        campaign("applications", "--status", "accepted", "--json", now="2026-11-27T11:00").output
    )
    assert row["confirmed_participants"] == 3
    plan = json.loads(
        campaign(
            "schedule", row["id"], "--start", "2026-11-30", "--days", "2", "--json", now="2026-11-27T11:00"
        ).output
    )
    assert len(plan["messages"]) == 3 and plan["officer_mailed"]
    sheet_link = _link(mailbox.text(OFFICER, "期間"), "/t/sheet/")

    # Wednesday morning every drill mail is out, once; a second run sends nothing.
    assert "送信 3 通" in campaign("send-due", now="2026-12-02T09:00").output
    assert "いま送るものはありません" in campaign("send-due", now="2026-12-02T09:01").output
    drills = {address: mailbox.to(address)[-1] for address in [*STAFF, OUTSIDER]}
    assert all(str(m["From"]).endswith("@drill.example.jp>") for m in drills.values())

    # Hanako opens and clicks; the click lands on our own learning page.
    at("2026-12-02T09:30")
    html = drills[STAFF[0]].get_body(("html",))
    assert html is not None
    urls = re.findall(rf"{re.escape(BASE)}(/t/[^\"'\s<>]+)", html.get_content())
    pixel = next(u for u in urls if u.startswith("/t/o/"))
    click = next(u for u in urls if u.startswith("/t/c/")).replace("&amp;", "&")
    assert client.get(pixel, headers={"User-Agent": BROWSER}).mimetype == "image/gif"
    landing = client.get(click, headers={"User-Agent": BROWSER})
    assert landing.status_code == 302 and landing.headers["Location"].startswith("/t/learn/")
    assert "これは訓練です" in client.get(landing.headers["Location"]).get_data(as_text=True)

    # Jiro forwards the drill mail to the report address.
    at("2026-12-02T09:40")
    inbox = InboundServer(
        Deps(store=store, mailer=app.extensions["campaign_mailer"], clock=clock, settings=site),
        "127.0.0.1",
        free_port(),
    )
    inbox.start()
    try:
        forward = EmailMessage()
        forward["Subject"], forward["From"], forward["To"] = "報告", OUTSIDER, "report@drill.example.jp"
        forward.set_content("怪しいメールです。")
        forward.add_attachment(drills[OUTSIDER])
        with smtplib.SMTP(inbox.host, inbox.port, timeout=10) as smtp_client:
            smtp_client.send_message(forward)
    finally:
        inbox.stop()

    # The officer records Hanako's report on the check sheet.
    at("2026-12-02T10:00")
    sheet_path = urlsplit(sheet_link).path
    page = client.get(sheet_path).get_data(as_text=True)
    key = re.search(r'name="reported-([0-9a-f]+)"', page.split(STAFF[0], 1)[1])
    assert key
    entry = {
        f"reported-{key.group(1)}": "yes",
        f"reported_at-{key.group(1)}": "2026-12-02T09:50",
        f"action-{key.group(1)}": "reported_after_click",
        f"notes-{key.group(1)}": "リンクを開いたあと、すぐ電話で知らせてくれた",
    }
    assert "保存しました" in client.post(sheet_path, data=entry, headers={"Origin": BASE}).get_data(
        as_text=True
    )

    # Staff send the report; the officer reads it by the link in the mail.
    campaign("report", row["id"], "--send", "--output", str(tmp_path / "r.html"), now="2026-12-02T12:00")
    at("2026-12-02T12:30")
    report_path = urlsplit(_link(mailbox.text(OFFICER, "レポート"), "/t/report/")).path
    report = client.get(report_path).get_data(as_text=True)
    assert "67%" in report  # 2 of 3 reported: Hanako on the sheet, Jiro by forwarding
    assert "リンクを開いたあと、すぐ電話で知らせてくれた" in report
    assert client.get(f"{report_path}/csv").data.startswith(b"\xef\xbb\xbf")

    # About a week after the last drill mail, everyone learns it was a drill; Jiro is thanked.
    assert "送信 3 通" in campaign("send-due", now="2026-12-10T17:00").output
    assert "ありがとうございました" in mailbox.text(OUTSIDER, "種明かし")
    assert "ありがとうございました" not in mailbox.text(STAFF[1], "種明かし")

    # The chamber gets its list.
    campaign("feedback", "sapporo", "--send", "--output", str(tmp_path / "f.html"), now="2026-12-11T10:00")
    (listing,) = mailbox.to("security-campaign@sapporo.cci.example.jp")
    attachment = next(listing.iter_attachments())
    payload = attachment.get_payload(decode=True)
    assert isinstance(payload, bytes) and "株式会社イーツーイー" in payload.decode("utf-8-sig")
