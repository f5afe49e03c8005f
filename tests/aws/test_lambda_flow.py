"""The Lambda entry points driven by the events AWS sends them, against a moto server: a drill from
the application form to the tracked click, and SES bounces and complaints that stop later mail."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, timedelta
from email.message import EmailMessage
from typing import Any

import boto3
from click.testing import CliRunner

from campaign_core.aws import environ_with_secret
from campaign_core.deps import Deps
from campaign_core.records import APPLICATION, CHECK, MESSAGE, SUPPRESSED
from campaign_core.settings import PROJECT_ROOT
from campaign_core.tokens import Signer
from cli.main import cli
from drill_sender.services.tracking import activity
from drill_sender.templates import TRACK_PURPOSE
from tests.support.aws_events import (
    Context,
    http_event,
    response_body,
    scheduled_event,
    ses_bounce,
    ses_complaint,
    ses_receipt_event,
    sns_event,
)
from tests.support.aws_lambdas import REPORT_ADDRESS, SITE, Lambdas
from tests.support.forms import DRILL_FORM
from tests.support.servers import MOTO_CREDENTIALS, free_port

OFFICER = "taro@test-corp.example.jp"


def drill_form(participants: list[str], *, address: str = "千代田区千代田1-2-3") -> dict[str, str]:
    return {
        **DRILL_FORM,
        "address": address,
        "officer_email": OFFICER,
        "participants": "\n".join(participants),
    }


def text_of(message: Any) -> str:
    part = message.get_body(preferencelist=("plain",))
    return str(part.get_content())


def html_of(message: Any) -> str:
    part = message.get_body(preferencelist=("html",))
    return str(part.get_content())


def header(response: dict[str, Any], name: str) -> str:
    found = [str(v) for k, v in response.get("headers", {}).items() if k.lower() == name.lower()]
    assert len(found) == 1, response.get("headers")
    return found[0]


def page(response: dict[str, Any]) -> str:
    return response_body(response).decode("utf-8")


def accepted_drill(lambdas: Lambdas, participants: list[str], *, address: str) -> str:
    """Apply through the form (a base64 form post, as the HTTP API passes it), confirm by the link
    in the mail, and return the application's id."""
    # Branch staff checked the test company's mail domain, so its participants need no confirmation.
    env = environ_with_secret({**lambdas.env, "CAMPAIGN_NOW": lambdas.clock.now().isoformat()})
    checked = CliRunner().invoke(cli, ["company-domain", "add", "test-corp.example.jp"], env=env)
    assert checked.exit_code == 0, checked.output
    before = len(lambdas.mails(to=OFFICER))
    applied = lambdas.api(
        "POST", "/api/drill", form=drill_form(participants, address=address), headers={"Origin": SITE}
    )
    assert applied["statusCode"] == 200, page(applied)
    assert "確認メールをお送りしました" in page(applied)
    assert header(applied, "Content-Type").startswith("text/html")

    mails = lambdas.mails(to=OFFICER)
    assert len(mails) == before + 1
    found = re.search(rf"{re.escape(SITE)}/api/drill/confirm\?token=([\w.\-]+)", text_of(mails[-1]))
    assert found, text_of(mails[-1])
    token = found.group(1)

    # The link opens a page with a button (scanners that follow links confirm nothing) ...
    shown = lambdas.api("GET", "/api/drill/confirm", query=f"token={token}")
    assert shown["statusCode"] == 200 and 'action="/api/drill/confirm"' in page(shown)
    # ... and the button posts the token (this time a plain body: both shapes are decoded).
    confirmed = lambdas.api(
        "POST", "/api/drill/confirm", form={"token": token}, base64_body=False, headers={"Origin": SITE}
    )
    assert confirmed["statusCode"] == 200, page(confirmed)
    assert "お申し込みが確定しました" in page(confirmed)

    accepted = [
        r for r in lambdas.runtime.store.query(APPLICATION, where={"status": "accepted"})
        if address in str(r.data.get("address", ""))
    ]  # fmt: skip
    assert len(accepted) == 1
    return accepted[0].key


def schedule_with_the_staff_command(lambdas: Lambdas, application_id: str) -> dict[str, Any]:
    """`campaign schedule` against the same DynamoDB table and SES (CAMPAIGN_STORE=dynamodb)."""
    # The key as the functions get it, from SSM (see environ_with_secret).
    env = environ_with_secret({**lambdas.env, "CAMPAIGN_NOW": lambdas.clock.now().isoformat()})
    result = CliRunner().invoke(
        cli, ["schedule", application_id, "--start", "2026-11-30", "--days", "1", "--json"], env=env
    )
    assert result.exit_code == 0, result.output
    scheduled: dict[str, Any] = json.loads(result.output)
    return scheduled


def test_the_staff_command_environment_gets_the_functions_key_from_ssm(lambdas: Lambdas) -> None:
    env = environ_with_secret({**lambdas.env, "CAMPAIGN_SECRET_KEY": ""})
    assert env["CAMPAIGN_SECRET_KEY"] == lambdas.secret
    given = environ_with_secret({**lambdas.env, "CAMPAIGN_SECRET_KEY": "k" * 40})
    assert given["CAMPAIGN_SECRET_KEY"] == "k" * 40  # an explicit key wins, SSM is not asked


def test_health_answers_through_the_http_api(lambdas: Lambdas) -> None:
    response = lambdas.api("GET", "/api/health")
    assert response["statusCode"] == 200
    assert json.loads(response_body(response)) == {"status": "ok"}


def test_requests_that_bypass_cloudfront_reach_no_app(lambdas: Lambdas) -> None:
    """The execute-api address is public; without CloudFront's origin header a request is refused
    before the app, so a forged CloudFront-Viewer-Address or Origin counts for nothing."""
    form = drill_form(["hanako@test-corp.example.jp"])
    for origin_verify in (None, "guessed-value"):
        response = lambdas.forms.handler(
            http_event(
                "POST", "/api/drill", form=form, headers={"Origin": SITE}, origin_verify=origin_verify
            ),
            Context(),
        )
        assert response["statusCode"] == 403
        tracked = lambdas.drill.handler(
            http_event("GET", "/t/o/x.gif", origin_verify=origin_verify), Context()
        )
        assert tracked["statusCode"] == 403
    assert lambdas.runtime.store.query(APPLICATION) == [] and lambdas.mails() == []
    # Through CloudFront the same post is taken.
    assert lambdas.api("POST", "/api/drill", form=form, headers={"Origin": SITE})["statusCode"] == 200


def test_importing_an_entry_module_calls_no_aws_service() -> None:
    """A cold start pays for imports only: nothing listens at the endpoint, the import still works,
    and no client was made (the secret is read on the first event)."""
    code = (
        "import form_lambda.lambda_entry as f, drill_sender.lambda_entry as d, campaign_core.lambda_entry\n"
        "import drill_sender.lambda_jobs\n"
        "r = f.RUNTIME\n"
        "assert r.store._client is None and r.mailer.inner._client is None and r._resolved is None\n"
        "print('ok')\n"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CAMPAIGN_")},
        "CAMPAIGN_STORE": "dynamodb",
        "CAMPAIGN_MAIL": "ses",
        "CAMPAIGN_SECRET_PARAMETER": "/security-drill/test/secret-key",
        "CAMPAIGN_AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
        "AWS_DEFAULT_REGION": "ap-northeast-1",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_a_drill_from_the_form_to_the_tracked_click(lambdas: Lambdas) -> None:
    participants = ["hanako@test-corp.example.jp", "jiro@test-corp.example.jp"]
    application_id = accepted_drill(lambdas, participants, address="千代田区千代田1-2-3")

    scheduled = schedule_with_the_staff_command(lambdas, application_id)
    assert json.dumps(scheduled, ensure_ascii=False).count("@test-corp.example.jp") >= 2

    # Nothing is due before its time; at the end of the window everything is.
    summary = lambdas.jobs.send_due_handler(scheduled_event(), Context())
    assert summary["sent"] == 0
    lambdas.clock.advance(timedelta(hours=9))
    summary = lambdas.jobs.send_due_handler(scheduled_event(), Context())
    assert summary["sent"] == 2 and summary["failed"] == 0

    hanako = lambdas.mails(to="hanako@test-corp.example.jp")
    assert len(hanako) == 1
    drill_mail = hanako[0]
    assert str(drill_mail["From"]).endswith("@drill.example.jp>")
    html = html_of(drill_mail)
    pixel = re.search(rf"{re.escape(SITE)}(/t/o/[\w.\-]+\.gif)", html)
    click = re.search(rf'{re.escape(SITE)}(/t/c/[\w.\-]+)(?:\?([^"]*))?"', html)
    assert pixel and click, html
    # The links are signed with the key from the SSM SecureString (not the import's placeholder).
    token = pixel.group(1).removeprefix("/t/o/").removesuffix(".gif")
    payload = Signer(lambdas.secret, lambdas.clock).unsign(TRACK_PURPOSE, token, max_age=timedelta(days=1))
    assert payload["m"] in {r.key for r in lambdas.runtime.store.query(MESSAGE)}

    # A person opens the mail a few minutes later and clicks.
    lambdas.clock.advance(timedelta(minutes=7))
    opened = lambdas.track("GET", pixel.group(1))
    assert opened["statusCode"] == 200
    assert header(opened, "Content-Type") == "image/gif"
    assert opened["isBase64Encoded"] is True
    assert response_body(opened).startswith(b"GIF89a")
    assert "no-store" in header(opened, "Cache-Control")

    lambdas.clock.advance(timedelta(minutes=1))
    clicked = lambdas.track("GET", click.group(1), query=(click.group(2) or "").replace("&amp;", "&"))
    assert clicked["statusCode"] == 302
    assert header(clicked, "Location").startswith("/t/learn/")

    deps = Deps(
        store=lambdas.runtime.store,
        mailer=lambdas.runtime.mailer,
        clock=lambdas.clock,
        settings=lambdas.runtime.resolved_settings(),
    )
    counts = activity(deps, application_id)
    assert counts.as_dict() == {"sent": 2, "opened": 1, "clicked": 1, "machine_hits": 0}
    # The viewer's address reached the app from CloudFront-Viewer-Address, not the edge's.
    events = lambdas.runtime.store.query("drill_event")
    assert events and {str(e.data.get("client")) for e in events} == {"203.0.113.45"}

    # Hanako forwards the drill mail to the report address; SES receiving stores it in S3 and calls
    # the report function, which records the report time and deletes the stored mail.
    lambdas.clock.advance(timedelta(minutes=2))
    s3 = boto3.client("s3", endpoint_url=lambdas.moto.endpoint, **MOTO_CREDENTIALS)
    bucket = lambdas.env["CAMPAIGN_INBOUND_BUCKET"]
    forward = EmailMessage()
    forward["From"], forward["To"] = "hanako@test-corp.example.jp", REPORT_ADDRESS
    forward["Subject"] = f"Fw: {drill_mail['Subject']}"
    forward.set_content(
        "不審なメールが届いたので転送します。\n\n-------- 転送メッセージ --------\n" + text_of(drill_mail)
    )
    s3.put_object(Bucket=bucket, Key="inbound/ses-message-1", Body=forward.as_bytes())
    s3.put_object(
        Bucket=bucket, Key="inbound/ses-message-2", Body=b"Subject: hello\r\n\r\nno drill link here\r\n"
    )
    for message_id in ("ses-message-1", "ses-message-2"):
        event = ses_receipt_event(message_id, sender="hanako@test-corp.example.jp", recipient=REPORT_ADDRESS)
        lambdas.jobs.inbound_handler(event, Context())
    reports = lambdas.runtime.store.query(CHECK)
    assert [(r.data["email"], r.data["forwarded_at"]) for r in reports] == [
        ("hanako@test-corp.example.jp", lambdas.clock.now().astimezone(UTC).isoformat())
    ]
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0

    # The officer's check sheet (its link came with the send-window mail of `campaign schedule`)
    # shows the forwarded report, through the tracking function.
    window_mail = next(m for m in lambdas.mails(to=OFFICER) if "/t/sheet/" in text_of(m))
    sheet_link = re.search(rf"{re.escape(SITE)}(/t/sheet/[\w.\-]+)", text_of(window_mail))
    assert sheet_link, text_of(window_mail)
    sheet = lambdas.track("GET", sheet_link.group(1))
    assert sheet["statusCode"] == 200, page(sheet)
    assert "訓練のチェックシート" in page(sheet) and "hanako@test-corp.example.jp" in page(sheet)
    assert page(sheet).count("報告用アドレスに転送されました") == 1  # hanako's, not jiro's

    # A forged link gets a polite page, with the built site around it.
    forged = lambdas.track("GET", "/t/c/not-a-token")
    assert forged["statusCode"] == 200 and "このリンクは使えません" in page(forged)


def test_bounces_and_complaints_suppress_later_mail(lambdas: Lambdas) -> None:
    bounced, complained, deferred = (
        "jiro@test-corp.example.jp",
        "hanako@test-corp.example.jp",
        "full@test-corp.example.jp",
    )
    result = lambdas.core.ses_events_handler(sns_event(ses_bounce(bounced)), Context())
    assert result == {"records": 1, "suppressed": 1}
    assert lambdas.core.ses_events_handler(sns_event(ses_complaint(complained)), Context())["suppressed"] == 1
    # A full mailbox is no reason to stop writing; a second bounce of the same address adds nothing.
    soft = ses_bounce(deferred, bounce_type="Transient", sub_type="MailboxFull")
    assert lambdas.core.ses_events_handler(sns_event(soft), Context())["suppressed"] == 0
    assert (
        lambdas.core.ses_events_handler(sns_event(ses_bounce(bounced.upper())), Context())["suppressed"] == 0
    )

    entries = {r.key: r.data for r in lambdas.runtime.store.query(SUPPRESSED)}
    assert set(entries) == {bounced, complained}
    assert entries[bounced]["reason"] == "bounce" and entries[bounced]["events"] == 2
    assert entries[complained]["reason"] == "complaint"

    # A later drill with both addresses and one more: only the third gets the drill mail.
    third = "saburo@test-corp.example.jp"
    application_id = accepted_drill(lambdas, [bounced, complained, third], address="千代田区丸の内9-9-9")
    schedule_with_the_staff_command(lambdas, application_id)
    lambdas.clock.advance(timedelta(hours=9))
    summary = lambdas.jobs.send_due_handler(scheduled_event(), Context())
    assert (summary["sent"], summary["failed"]) == (1, 2)
    assert len(lambdas.mails(to=third)) == 1
    assert lambdas.mails(to=bounced) == [] and lambdas.mails(to=complained) == []
    failed = lambdas.runtime.store.query(MESSAGE, where={"state": "failed"})
    assert {r.data["email"] for r in failed} == {bounced, complained}
    assert all("suppressed" in str(r.data["last_error"]) for r in failed)

    # The forms mail the same way: a one-shot request for a bounced address is refused, unsent.
    refused = lambdas.api(
        "POST", "/api/oneshot", form={"email": bounced, "company": "株式会社テスト", "consent": "yes"},
        headers={"Origin": SITE},
    )  # fmt: skip
    assert refused["statusCode"] == 503
    assert "メールをお送りできませんでした" in page(refused)
    assert lambdas.mails(to=bounced) == []
