"""The Lambda entry modules imported as Lambda imports them, with the environment the template sets,
against the session's moto server (DynamoDB, SES, SSM, S3): a fresh table, a verified SES domain, a
configuration set and the signing secret as an SSM SecureString. `Lambdas` is in
`tests/support/aws_lambdas.py`."""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from campaign_core.store.dynamodb import DynamoDBStore
from tests.support.aws_events import ORIGIN_VERIFY
from tests.support.aws_lambdas import (
    DOMAIN,
    MONDAY_9_JST,
    REPORT_ADDRESS,
    SENDER,
    SITE,
    Lambdas,
    forget_entry_modules,
)
from tests.support.servers import MOTO_CREDENTIALS, MotoServer


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
            jobs=importlib.import_module("drill_sender.lambda_jobs"),
            core=importlib.import_module("campaign_core.lambda_entry"),
            hq=importlib.import_module("hq.lambda_entry"),
            mail_offset=mail_offset,
        )
    finally:
        forget_entry_modules()
        store.client.delete_table(TableName=table)
