"""The Lambda entry modules imported as Lambda imports them, with the environment the template sets,
against the session's moto server (DynamoDB, SES, SSM, S3): a fresh table, a verified SES domain, a
configuration set and the signing secret as an SSM SecureString."""

from __future__ import annotations

import email
import email.policy
import importlib
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest

from campaign_core import aws
from campaign_core.clock import FixedClock
from campaign_core.store.dynamodb import DynamoDBStore
from tests.aws.events import ORIGIN_VERIFY, Context, http_event
from tests.servers import MOTO_CREDENTIALS, MotoServer

ENTRY_MODULES = (
    "form_lambda.lambda_entry",
    "drill_sender.lambda_entry",
    "campaign_core.lambda_entry",
    "hq.lambda_entry",
)
DOMAIN = "drill.example.jp"
SITE = f"https://{DOMAIN}"
REPORT_ADDRESS = f"report@{DOMAIN}"
SENDER = f"セキュリティ訓練キャンペーン事務局 <noreply@{DOMAIN}>"
# Monday 30 November 2026, 09:00 JST: a business day, the send window opens.
MONDAY_9_JST = "2026-11-30T09:00:00+09:00"


def forget_entry_modules() -> None:
    for name in ENTRY_MODULES:
        sys.modules.pop(name, None)
    aws.runtime.cache_clear()


@dataclass
class Lambdas:
    moto: MotoServer
    env: dict[str, str]
    secret: str
    forms: ModuleType
    drill: ModuleType
    core: ModuleType
    hq: ModuleType
    mail_offset: int

    @property
    def runtime(self) -> aws.Runtime:
        runtime: aws.Runtime = self.forms.RUNTIME
        return runtime

    @property
    def clock(self) -> FixedClock:
        clock = self.runtime.clock
        assert isinstance(clock, FixedClock)
        return clock

    def mails(self, to: str | None = None) -> list[EmailMessage]:
        """What SES accepted during this test, oldest first (optionally only to one address)."""
        found = []
        for sent in self.moto.sent_emails()[self.mail_offset :]:
            if to is not None and to not in sent.get("destinations", []):
                continue
            parsed = email.message_from_string(sent["raw_data"], policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            found.append(parsed)
        return found

    def api(self, method: str, path: str, **options: Any) -> dict[str, Any]:
        response: dict[str, Any] = self.forms.handler(http_event(method, path, **options), Context())
        return response

    def track(self, method: str, path: str, **options: Any) -> dict[str, Any]:
        response: dict[str, Any] = self.drill.handler(http_event(method, path, **options), Context())
        return response


@pytest.fixture
def lambdas(
    moto_server: MotoServer, built_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Lambdas]:
    suffix = uuid.uuid4().hex[:10]
    table = f"campaign-{suffix}"
    parameter = f"/security-drill/test-{suffix}/secret-key"
    secret = uuid.uuid4().hex + uuid.uuid4().hex
    config_set = f"security-drill-{suffix}"

    store = DynamoDBStore(table, endpoint_url=moto_server.endpoint)
    store.create_table()
    boto3.client("ses", endpoint_url=moto_server.endpoint, **MOTO_CREDENTIALS).verify_domain_identity(
        Domain=DOMAIN
    )
    boto3.client("sesv2", endpoint_url=moto_server.endpoint, **MOTO_CREDENTIALS).create_configuration_set(
        ConfigurationSetName=config_set
    )
    boto3.client("ssm", endpoint_url=moto_server.endpoint, **MOTO_CREDENTIALS).put_parameter(
        Name=parameter, Type="SecureString", Value=secret
    )
    inbound = f"inbound-{suffix}"
    boto3.client("s3", endpoint_url=moto_server.endpoint, **MOTO_CREDENTIALS).create_bucket(
        Bucket=inbound, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"}
    )
    # The variables template.yaml sets, plus the moto endpoint and a pinned clock.
    env = {
        "CAMPAIGN_STORE": "dynamodb",
        "CAMPAIGN_MAIL": "ses",
        "CAMPAIGN_DYNAMODB_TABLE": table,
        "CAMPAIGN_BASE_URL": SITE,
        "CAMPAIGN_MAIL_FROM": SENDER,
        "CAMPAIGN_DRILL_DOMAIN": DOMAIN,
        "CAMPAIGN_SES_CONFIGURATION_SET": config_set,
        "CAMPAIGN_SECRET_PARAMETER": parameter,
        "CAMPAIGN_DATA_DIR": str(tmp_path / "lambda-tmp"),
        "CAMPAIGN_PROXIES": "0",
        "CAMPAIGN_ORIGIN_VERIFY": ORIGIN_VERIFY,
        "CAMPAIGN_REPORT_ADDRESS": REPORT_ADDRESS,
        "CAMPAIGN_INBOUND_BUCKET": inbound,
        "CAMPAIGN_INBOUND_PREFIX": "inbound/",
        "CAMPAIGN_SITE_DIR": str(built_site),
        "CAMPAIGN_AWS_ENDPOINT_URL": moto_server.endpoint,
        "CAMPAIGN_NOW": MONDAY_9_JST,
        "CAMPAIGN_SEND_RATE": "0",
    }
    monkeypatch.delenv("CAMPAIGN_SECRET_KEY", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    mail_offset = len(moto_server.sent_emails())
    forget_entry_modules()
    try:
        yield Lambdas(
            moto=moto_server,
            env=env,
            secret=secret,
            forms=importlib.import_module("form_lambda.lambda_entry"),
            drill=importlib.import_module("drill_sender.lambda_entry"),
            core=importlib.import_module("campaign_core.lambda_entry"),
            hq=importlib.import_module("hq.lambda_entry"),
            mail_offset=mail_offset,
        )
    finally:
        forget_entry_modules()
        store.client.delete_table(TableName=table)
