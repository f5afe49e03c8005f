"""When mail cannot be sent: through a real SMTP server on loopback that defers (451) or refuses
(550) the recipient. The applicant gets a Japanese page and can simply try again; nothing is left
half done."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from flask import Flask

from campaign_core.mail.smtp import SMTPMailer
from campaign_core.store import Store
from tests.support.forms import DRILL_FORM, ONESHOT_FORM
from tests.support.servers import SMTPServer


@pytest.fixture
def smtp_app(make_app: Callable[..., Flask], smtp: SMTPServer) -> Flask:
    app = make_app()
    app.extensions["campaign_mailer"] = SMTPMailer(smtp.host, smtp.port, timeout=10)
    return app


@pytest.mark.parametrize("officer", ["tempfail@corp.example.jp", "reject@corp.example.jp"])
def test_drill_application_whose_mail_fails_leaves_nothing_and_can_be_retried(
    smtp_app: Flask, smtp: SMTPServer, officer: str
) -> None:
    client = smtp_app.test_client()
    store: Store = smtp_app.extensions["campaign_store"]
    response = client.post("/api/drill", data={**DRILL_FORM, "officer_email": officer})
    assert response.status_code == 503
    assert "メールをお送りできませんでした" in response.get_data(as_text=True)
    assert store.query("application") == [] and store.query("office_claim") == []
    # The office is free again: the same office with a working address goes through.
    response = client.post("/api/drill", data={**DRILL_FORM, "officer_email": "ok@corp.example.jp"})
    assert response.status_code == 200
    assert [m.message["To"] for m in smtp.received][-1] == "ok@corp.example.jp"


def test_oneshot_whose_mail_fails_stores_nothing_and_logs_the_failure(
    smtp_app: Flask, capsys: pytest.CaptureFixture[str]
) -> None:
    response = smtp_app.test_client().post(
        "/api/oneshot", data={**ONESHOT_FORM, "email": "tempfail@corp.example.jp"}
    )
    assert response.status_code == 503
    assert smtp_app.extensions["campaign_store"].query("oneshot") == []
    # One JSON line for the alarm's metric filter, without the address.
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    (failed,) = [line for line in lines if line["event"] == "send_failed"]
    assert failed["template"] == "oneshot_confirm" and "451" in failed["reason"]
    assert "tempfail@" not in json.dumps(failed)


@pytest.mark.parametrize("path", ["/api/drill", "/api/seminar", "/api/oneshot"])
def test_opening_a_form_address_leads_to_the_form_page(smtp_app: Flask, path: str) -> None:
    response = smtp_app.test_client().get(path)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/apply/{path.rsplit('/', 1)[1]}/"
