"""Helpers of the form tests (and the browser tests of the forms): valid form data, the `.eml`
outbox, mail bodies, seminar sessions in a copied content/, a fresh DynamoDB table."""

from __future__ import annotations

import email
import email.policy
import html
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml
from flask.testing import FlaskClient

from campaign_core.store.dynamodb import DynamoDBStore
from tests.support.servers import MOTO_REGION, MotoServer

NO_LIMITS: dict[str, Any] = {
    "rate_limit_client": None,
    "rate_limit_email": None,
    "rate_limit_token": None,
    "mails_per_address_day": 0,
}

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
    "variant": "auto",
    "reveal": "on",
    "followup": "on",
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
        return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in files]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages() if address in str(m["To"])]


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def dynamodb_store(moto: MotoServer) -> DynamoDBStore:
    """A fresh table per test on the moto server."""
    store = DynamoDBStore(
        f"forms-{uuid.uuid4().hex[:12]}", endpoint_url=moto.endpoint, region_name=MOTO_REGION
    )
    store.create_table()
    return store


def post_form(client: FlaskClient, path: str, form: Mapping[str, str], **changes: str) -> tuple[int, str]:
    """Post `form` with `changes` to `path`: the answer's status and page."""
    response = client.post(path, data={**form, **changes})
    return response.status_code, response.get_data(as_text=True)


def sign_up(client: FlaskClient, **changes: str) -> tuple[int, str]:
    """Post the seminar form with `changes`: the answer's status and page."""
    return post_form(client, "/api/seminar", SEMINAR_FORM, **changes)


def confirm_signup(client: FlaskClient, ask: EmailMessage) -> str:
    """Open the confirmation link of a live signup and press its button; the page's text."""
    [link] = [u for u in links(text_of(ask)) if "/api/seminar/confirm" in u]
    assert client.get(link).status_code == 200
    response = client.post("/api/seminar/confirm", data={"token": token_of(link)})
    return response.get_data(as_text=True)


def set_session(content_dir: Path, session_id: str, **changes: Any) -> None:
    """Change fields of one session in the test's copy of content/seminars.yml."""
    path = content_dir / "seminars.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for session in data["sessions"]:
        if session["id"] == session_id:
            session.update(changes)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


LINK_RE = re.compile(r"http://127\.0\.0\.1:8000(/api/[^\s\"<>]+)")


def links(text: str) -> list[str]:
    return [html.unescape(match) for match in LINK_RE.findall(text)]


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def confirm_officer(client: FlaskClient, outbox: Outbox, officer: str = "taro@test-corp.example.jp") -> str:
    link = links(text_of(outbox.to(officer)[-1]))[0]
    # Opening the link shows a button; only pressing it confirms (mail scanners open links too).
    page = client.get(link)
    assert page.status_code == 200
    assert "お申し込みを確定する" in page.get_data(as_text=True)
    response = client.post("/api/drill/confirm", data={"token": token_of(link)})
    assert response.status_code == 200
    return response.get_data(as_text=True)
