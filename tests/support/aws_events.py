"""Events as AWS delivers them to Lambda: API Gateway HTTP API (payload 2.0), SNS, EventBridge."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode

API_ID = "a1b2c3d4e5"
API_HOST = f"{API_ID}.execute-api.ap-northeast-1.amazonaws.com"
EDGE_IP = "130.176.212.10"  # a CloudFront edge: what API Gateway sees as the source
VIEWER_IP = "203.0.113.45"
ORIGIN_VERIFY = "5f0c6a80-2c1e-11f1-9d41-0a1b2c3d4e5f"  # the SSM origin secret (template.yaml)
BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


def http_event(
    method: str,
    path: str,
    *,
    query: str = "",
    form: Mapping[str, str] | None = None,
    base64_body: bool = True,
    headers: Mapping[str, str] | None = None,
    viewer_ip: str = VIEWER_IP,
    origin_verify: str | None = ORIGIN_VERIFY,
) -> dict[str, Any]:
    """What the HTTP API hands the function for a request CloudFront forwarded (Host is the API's own;
    the origin request policy passes the viewer's headers and CloudFront-Viewer-Address)."""
    now = datetime.now(UTC)
    prefix = "/t/" if path.startswith("/t/") else "/api/"
    all_headers = {
        "host": API_HOST,
        "user-agent": BROWSER,
        "accept-language": "ja,en;q=0.8",
        "via": "2.0 0f1e2d3c4b5a.cloudfront.net (CloudFront)",
        "x-amz-cf-id": "S4mpl3Cl0udFr0nt1dxxxxxxxxxxxxxxxxxxxxxxxxxxxxx==",
        "x-forwarded-for": f"{viewer_ip}, {EDGE_IP}",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
        "cloudfront-viewer-address": f"{viewer_ip}:52311",
        **{k.lower(): v for k, v in (headers or {}).items()},
    }
    if origin_verify is not None:  # CloudFront's origin custom header
        all_headers["x-origin-verify"] = origin_verify
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"ANY {prefix}{{proxy+}}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": all_headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": API_ID,
            "domainName": API_HOST,
            "domainPrefix": API_ID,
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": EDGE_IP,
                "userAgent": all_headers["user-agent"],
            },
            "requestId": uuid.uuid4().hex[:16],
            "routeKey": f"ANY {prefix}{{proxy+}}",
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "pathParameters": {"proxy": path.removeprefix(prefix)},
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = {k: ",".join(v) for k, v in parse_qs(query).items()}
    if form is not None:
        body = urlencode(form).encode()
        all_headers["content-type"] = "application/x-www-form-urlencoded"
        all_headers["content-length"] = str(len(body))
        if base64_body:  # how the HTTP API passes a form post
            event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
        else:
            event["body"] = body.decode()
    return event


def response_body(response: Mapping[str, Any]) -> bytes:
    body = str(response.get("body", ""))
    return base64.b64decode(body) if response.get("isBase64Encoded") else body.encode()


def sns_event(message: Mapping[str, Any], topic: str = "ses-events") -> dict[str, Any]:
    arn = f"arn:aws:sns:ap-northeast-1:123456789012:{topic}"
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{arn}:{uuid.uuid4()}",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": str(uuid.uuid4()),
                    "TopicArn": arn,
                    "Subject": None,
                    "Message": json.dumps(message),
                    "Timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                    "SignatureVersion": "1",
                    "Signature": "EXAMPLE",
                    "SigningCertUrl": "https://sns.ap-northeast-1.amazonaws.com/cert.pem",
                    "UnsubscribeUrl": "https://sns.ap-northeast-1.amazonaws.com/?Action=Unsubscribe",
                    "MessageAttributes": {},
                },
            }
        ]
    }


def _mail(destination: str, message_id: str) -> dict[str, Any]:
    return {
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "messageId": message_id,
        "source": "noreply@drill.example.jp",
        "sourceArn": "arn:aws:ses:ap-northeast-1:123456789012:identity/drill.example.jp",
        "sendingAccountId": "123456789012",
        "destination": [destination],
        "tags": {"ses:configuration-set": ["security-drill-test"]},
    }


def ses_bounce(address: str, *, bounce_type: str = "Permanent", sub_type: str = "General") -> dict[str, Any]:
    """An SES event-publishing bounce (configuration set -> SNS)."""
    return {
        "eventType": "Bounce",
        "bounce": {
            "bounceType": bounce_type,
            "bounceSubType": sub_type,
            "bouncedRecipients": [
                {
                    "emailAddress": address,
                    "action": "failed",
                    "status": "5.1.1",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                }
            ],
            "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "feedbackId": str(uuid.uuid4()),
            "reportingMTA": "dsn; a27-1.smtp-out.ap-northeast-1.amazonses.com",
        },
        "mail": _mail(address, str(uuid.uuid4())),
    }


def ses_complaint(address: str, *, original_message_id: str | None = None) -> dict[str, Any]:
    """An SES complaint; `original_message_id` is the Message-ID header of the mail complained about
    (SES includes the original headers in `mail` when the identity is set to)."""
    mail = _mail(address, str(uuid.uuid4()))
    if original_message_id is not None:
        mail["headersTruncated"] = False
        mail["headers"] = [{"name": "Message-ID", "value": original_message_id}]
        mail["commonHeaders"] = {"messageId": original_message_id, "to": [address]}
    return {
        "eventType": "Complaint",
        "complaint": {
            "complainedRecipients": [{"emailAddress": address}],
            "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "feedbackId": str(uuid.uuid4()),
            "userAgent": "ExampleCorp Feedback Loop (V0.01)",
            "complaintFeedbackType": "abuse",
            "arrivalDate": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        },
        "mail": mail,
    }


def ses_receipt_event(
    message_id: str, *, sender: str, recipient: str, virus: str = "PASS", bucket: str = "inbound"
) -> dict[str, Any]:
    """What SES receiving passes a Lambda action that runs after an S3 action stored the mail."""
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    verdict = {"status": "PASS"}
    return {
        "Records": [
            {
                "eventSource": "aws:ses",
                "eventVersion": "1.0",
                "ses": {
                    "mail": {
                        "timestamp": now,
                        "source": sender,
                        "messageId": message_id,
                        "destination": [recipient],
                        "headersTruncated": False,
                        "headers": [{"name": "From", "value": sender}, {"name": "To", "value": recipient}],
                        "commonHeaders": {"from": [sender], "to": [recipient], "subject": "Fw: drill"},
                    },
                    "receipt": {
                        "timestamp": now,
                        "processingTimeMillis": 412,
                        "recipients": [recipient],
                        "spamVerdict": verdict,
                        "virusVerdict": {"status": virus},
                        "spfVerdict": verdict,
                        "dkimVerdict": verdict,
                        "dmarcVerdict": verdict,
                        "action": {
                            "type": "Lambda",
                            "functionArn": "arn:aws:lambda:ap-northeast-1:123456789012:function:report",
                            "invocationType": "Event",
                        },
                    },
                },
            }
        ]
    }


def scheduled_event() -> dict[str, Any]:
    """What an EventBridge schedule passes (the handler reads nothing from it)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "ap-northeast-1",
        "resources": ["arn:aws:events:ap-northeast-1:123456789012:rule/send-due"],
        "detail": {},
    }


class Context:
    """The parts of the Lambda context object the handlers read."""

    def __init__(self, remaining_ms: int = 600_000) -> None:
        self.remaining_ms = remaining_ms
        self.function_name = "test"
        self.aws_request_id = uuid.uuid4().hex

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms
