"""Forwarded reports through SES receiving (the mail stored in S3, the report function called with
SES's receipt event) in the shapes mail systems make them: an Outlook .msg attached, links rewritten
by Safe Links and Proofpoint, a part in an unknown charset; and a spam complaint about a drill mail
through the SES events function, noted as that participant's report. Against the moto server."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import quote

import boto3

from campaign_core.clock import iso, parse_iso
from campaign_core.records import CHECK, MESSAGE
from campaign_core.tokens import Signer
from drill_sender.templates import tracking_token
from tests.support.aws_events import Context, ses_complaint, ses_receipt_event, sns_event
from tests.support.aws_lambdas import REPORT_ADDRESS, SITE, Lambdas
from tests.support.outlook_msg import Attachment, OutlookMail, outlook_msg
from tests.support.servers import MOTO_CREDENTIALS

PEOPLE = ("hanako@test-corp.example.jp", "jiro@test-corp.example.jp", "saburo@test-corp.example.jp")


def _sent_messages(lambdas: Lambdas) -> dict[str, str]:
    """Three sent drill mails of one drill; address -> click URL with its tracking token. The keys
    repeat themselves, so their tokens' payloads come compressed (a token starting with a dot)."""
    store = lambdas.runtime.store
    signer = Signer(lambdas.secret, lambdas.clock)
    urls = {}
    for number, email in enumerate(PEOPLE):
        key = f"{number:02d}" + "ab" * 9
        store.put_new(
            MESSAGE,
            key,
            {
                "application_id": "c" * 32, "purpose": "drill", "email": email, "state": "sent",
                "sent_at": iso(lambdas.clock.now()), "month": 8, "variant": "subtle",
                "message_id": f"<drill.{key}@drill.example.jp>",
            },
        )  # fmt: skip
        urls[email] = f"{SITE}/t/c/{tracking_token(signer, key)}?l=0"
    return urls


def test_reports_in_every_shape_arrive_through_ses_receiving(lambdas: Lambdas) -> None:
    urls = _sent_messages(lambdas)
    lambdas.clock.advance(timedelta(minutes=25))
    s3 = boto3.client("s3", endpoint_url=lambdas.moto.endpoint, **MOTO_CREDENTIALS)
    bucket = lambdas.env["CAMPAIGN_INBOUND_BUCKET"]

    # hanako (Outlook, Safe Links): the drill mail attached as an Outlook item.
    safe = (
        "https://jpn01.safelinks.protection.outlook.com/?url=" + quote(urls[PEOPLE[0]], safe="") + "&data=05"
    )
    item = OutlookMail("【重要】ご確認ください", f"こちらからご確認ください。\r\n{safe}")
    outlook = EmailMessage()
    outlook["From"], outlook["To"], outlook["Subject"] = PEOPLE[0], REPORT_ADDRESS, "FW: 【重要】"
    outlook.set_content("報告します。")
    outer = OutlookMail("FW: 【重要】", "報告します。", attachments=[Attachment("x.msg", embedded=item)])
    outlook.add_attachment(
        outlook_msg(outer),
        maintype="application", subtype="vnd.ms-outlook", filename="【重要】ご確認ください.msg",
    )  # fmt: skip
    # jiro (Proofpoint v2) in a part whose charset nobody knows.
    v2 = quote(urls[PEOPLE[1]], safe="").replace("_", "%5F").replace("-", "%2D").replace("%", "-")
    proofpoint = (
        f"From: {PEOPLE[1]}\r\nTo: {REPORT_ADDRESS}\r\nSubject: Fw\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=x-unknown\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"https://urldefense.proofpoint.com/v2/url?u={v2.replace('-2F', '_')}&d=DwMFaQ&e=\r\n"
    ).encode() + b"\x82\xa0\xff\r\n"
    for message_id, raw in (("ses-msg", outlook.as_bytes()), ("ses-pp", proofpoint)):
        s3.put_object(Bucket=bucket, Key=f"inbound/{message_id}", Body=raw)
        event = ses_receipt_event(message_id, sender="x@test-corp.example.jp", recipient=REPORT_ADDRESS)
        assert lambdas.jobs.inbound_handler(event, Context()) == {
            "recorded": 1,
            "unmatched": 0,
            "infected": 0,
        }

    checks = {str(r.data["email"]): r.data for r in lambdas.runtime.store.query(CHECK)}
    assert set(checks) == set(PEOPLE[:2])
    assert {parse_iso(d["forwarded_at"]) for d in checks.values()} == {lambdas.clock.now()}
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0

    # saburo marks the drill mail as junk: SES's complaint feedback reaches the events function.
    lambdas.clock.advance(timedelta(minutes=5))
    complaint = ses_complaint(PEOPLE[2], original_message_id="<drill.02ababababababababab@drill.example.jp>")
    assert lambdas.core.ses_events_handler(sns_event(complaint), Context())["suppressed"] == 1
    saburo = lambdas.runtime.store.get(CHECK, "02ababababababababab")
    assert saburo is not None and parse_iso(saburo.data["complained_at"]) == lambdas.clock.now()
