"""Branch staff on AWS: the staff command reads the signing key from SSM (`CAMPAIGN_SECRET_PARAMETER`,
never a key in the environment), and its audit lines name the caller as STS knows it, whatever
`CAMPAIGN_STAFF` says. Against the session's moto server (DynamoDB, SSM, STS) with the environment
the README gives staff."""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path

import boto3
from click.testing import CliRunner

from campaign_core.settings import PROJECT_ROOT
from cli.main import cli
from hq import audit
from tests.aws.test_lambda_flow import OFFICER, accepted_drill, text_of
from tests.support.aws_lambdas import SENDER, SITE, Lambdas
from tests.support.aws_template import template
from tests.support.servers import MOTO_CREDENTIALS, run_python


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


STAFF_SECTION = "### 支部の担当者が AWS 上で運用コマンドを使うとき"
OUTPUT = re.compile(r"<出力の (\w+)>")  # a value the README takes from the stack's outputs


def readme_staff_exports() -> dict[str, str]:
    """The variables the README's staff section exports, as written (`@output:Name` for a value
    from the stack's output `Name`)."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split(STAFF_SECTION, 1)[1].split("\n### ", 1)[0]
    found = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert found, "the staff section has no sh block"
    exports: dict[str, str] = {}
    for line in found.group(1).splitlines():
        words = shlex.split(OUTPUT.sub(r"@output:\1", line), comments=True)
        if words[:1] == ["export"]:
            exports |= dict(word.split("=", 1) for word in words[1:])
    return exports


def test_the_readme_staff_environment_alone_runs_the_staff_command(lambdas: Lambdas, tmp_path: Path) -> None:
    """The staff command in a process of its own with the README's variables and nothing else (but
    the moto endpoint, test credentials instead of the sign-in, and a pinned clock): it schedules a
    drill and mails the officer a link signed with the functions' key, from the campaign's sender."""
    exports = readme_staff_exports()
    assert "CAMPAIGN_SECRET_KEY" not in exports and "CAMPAIGN_SECRET_PARAMETER" in exports
    assert "CAMPAIGN_SECRET_KEY=" not in (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    outputs = {
        "TableName": lambdas.env["CAMPAIGN_DYNAMODB_TABLE"],
        "ConfigurationSetName": lambdas.env["CAMPAIGN_SES_CONFIGURATION_SET"],
        "SecretParameterName": lambdas.env["CAMPAIGN_SECRET_PARAMETER"],
    }
    named = {value.removeprefix("@output:") for value in exports.values() if value.startswith("@output:")}
    assert named <= set(outputs) and set(outputs) <= set(template()["Outputs"])
    env = {
        name: outputs[value.removeprefix("@output:")] if value.startswith("@output:") else value
        for name, value in exports.items()
    }
    assert env.pop("AWS_PROFILE")  # signed in with Identity Center; here moto's test keys instead
    assert env["CAMPAIGN_MAIL_FROM"] == SENDER and env["CAMPAIGN_BASE_URL"] == SITE
    env |= {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "CAMPAIGN_AWS_ENDPOINT_URL": lambdas.moto.endpoint,
        "CAMPAIGN_NOW": lambdas.clock.now().isoformat(),
    }
    application = accepted_drill(lambdas, [f"hanako@{OFFICER.split('@')[1]}"], address="千代田区千代田9-9-9")
    before = len(lambdas.mails(to=OFFICER))
    scheduled = run_python(
        ["-m", "cli", "schedule", application, "--start", "2026-11-30", "--days", "1", "--json"], env
    )
    assert json.loads(scheduled.stdout)["application_id"] == application
    (notice,) = lambdas.mails(to=OFFICER)[before:]
    (sender,) = notice["From"].addresses
    assert f"{sender.display_name.replace(' ', '')} <{sender.addr_spec}>" == SENDER  # (encoded words)
    link = re.search(rf"{re.escape(SITE)}(/t/sheet/[\w.\-]+)", text_of(notice))
    assert link, text_of(notice)
    # Signed with the functions' key: the tracking function opens the officer's check sheet.
    assert lambdas.track("GET", link.group(1))["statusCode"] == 200
