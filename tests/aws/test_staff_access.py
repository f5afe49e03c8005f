"""Branch staff on AWS: the staff command reads the signing key from SSM (`CAMPAIGN_SECRET_PARAMETER`,
never a key in the environment), and its audit lines name the caller as STS knows it, whatever
`CAMPAIGN_STAFF` says. Against the session's moto server (DynamoDB, SSM, STS) with the environment
the README gives staff."""

from __future__ import annotations

import json

import boto3
from click.testing import CliRunner

from cli.main import cli
from hq import audit
from tests.support.aws_lambdas import Lambdas
from tests.support.servers import MOTO_CREDENTIALS


def staff_environment(lambdas: Lambdas) -> dict[str, str]:
    """The README's staff environment (the moto endpoint and a pinned clock added)."""
    env = lambdas.env
    return {
        "CAMPAIGN_STORE": "dynamodb",
        "CAMPAIGN_DYNAMODB_TABLE": env["CAMPAIGN_DYNAMODB_TABLE"],
        "CAMPAIGN_MAIL": "ses",
        "CAMPAIGN_MAIL_FROM": env["CAMPAIGN_MAIL_FROM"],
        "CAMPAIGN_BASE_URL": env["CAMPAIGN_BASE_URL"],
        "CAMPAIGN_SECRET_PARAMETER": env["CAMPAIGN_SECRET_PARAMETER"],
        "CAMPAIGN_SES_CONFIGURATION_SET": env["CAMPAIGN_SES_CONFIGURATION_SET"],
        "CAMPAIGN_AWS_REGION": "ap-northeast-1",
        "CAMPAIGN_AWS_ENDPOINT_URL": env["CAMPAIGN_AWS_ENDPOINT_URL"],
        "CAMPAIGN_NOW": env["CAMPAIGN_NOW"],
        "CAMPAIGN_SECRET_KEY": "",
        "CAMPAIGN_STAFF": "someone-else",  # an environment variable must not decide who it was
    }


def test_audit_lines_on_aws_name_the_sts_caller_not_an_environment_variable(lambdas: Lambdas) -> None:
    audit.aws_caller.cache_clear()
    sts = boto3.client("sts", endpoint_url=lambdas.moto.endpoint, **MOTO_CREDENTIALS)
    caller = sts.get_caller_identity()["Arn"]
    env = staff_environment(lambdas)
    result = CliRunner().invoke(cli, ["applications", "--json"], env=env)
    assert result.exit_code == 0, result.output
    listed = CliRunner().invoke(cli, ["audit", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    lines = json.loads(listed.output)
    assert [line["command"] for line in lines] == ["applications"]
    assert lines[0]["who"] == caller != "someone-else"


def test_locally_the_audit_line_still_takes_the_staff_variable() -> None:
    assert audit.staff_member({"CAMPAIGN_STORE": "sqlite", "CAMPAIGN_STAFF": "shibu-sato"}) == "shibu-sato"


def test_the_staff_command_signs_with_the_key_from_ssm(lambdas: Lambdas) -> None:
    from cli.main import staff_environ

    env = staff_environ(staff_environment(lambdas))
    assert env["CAMPAIGN_SECRET_KEY"] == lambdas.secret
