"""The branch staff's IAM policy (template.yaml `StaffPolicy`, issue 10 §5) is enough for the staff
command, and still denies what it must. moto enforces no IAM, so every AWS call the commands make
is recorded (`tests/support/iam.py`), turned into the authorisations IAM would check (action and
resource ARN) and evaluated against the policy as the stack would deploy it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner

from campaign_core.records import AUDIT
from cli.main import cli
from hq import audit
from tests.aws.test_lambda_flow import OFFICER, accepted_drill
from tests.aws.test_staff_access import staff_environment
from tests.support.aws_lambdas import DOMAIN, REPORT_ADDRESS, Lambdas
from tests.support.aws_template import resources
from tests.support.iam import AwsCall, Policy, Request, Stack, iam_requests, listed, record_aws_calls
from tests.support.servers import MOTO_CREDENTIALS

MONDAY = "2026-11-30T09:00:00+09:00"  # the send window opens (the fixture's clock)
EVENING = "2026-11-30T18:30:00+09:00"  # the window is over: everything is due
LATER = "2026-12-08T10:00:00+09:00"  # the reporting period has passed

# What branch staff run (README: 訓練を通しで試す, and the staff section), in a drill's order.
STAFF_COMMANDS: list[tuple[str, list[str]]] = [
    (MONDAY, []),  # the overview: what to do next
    (MONDAY, ["applications", "--json"]),
    (MONDAY, ["company-domain", "add", "other-corp.example.jp"]),
    (MONDAY, ["company-domain", "remove", "other-corp.example.jp"]),
    (MONDAY, ["schedule", "{app}", "--start", "2026-11-30", "--days", "1", "--json"]),
    (EVENING, ["send-due"]),
    (EVENING, ["show", "{app}", "--json"]),
    (EVENING, ["sheet", "{app}"]),
    (EVENING, ["requeue", "{app}"]),
    (LATER, ["report", "{app}", "--output", "{tmp}/report.html"]),
    (LATER, ["report", "{app}", "--send"]),
    (LATER, ["feedback", "sapporo", "--output", "{tmp}/feedback.html"]),
    (LATER, ["feedback", "--branch", "hokkaido", "--send"]),
    (LATER, ["stats", "--out", "{tmp}/stats.html"]),
    (LATER, ["suppressed", "--json"]),
    (LATER, ["maintenance", "on", "--message", "点検のため受付を止めています。"]),
    (LATER, ["maintenance", "off"]),
]


def staff_policy(lambdas: Lambdas, account: str) -> Policy:
    """StaffPolicy resolved for the stack whose names the fixture's table, SES configuration set
    and SSM parameter stand for (the stack's own table, no separate drill domain)."""
    parameter = lambdas.env["CAMPAIGN_SECRET_PARAMETER"]
    stage = parameter.removeprefix("/security-drill/").removesuffix("/secret-key")
    stack = Stack(
        values={
            "AWS::Partition": "aws",
            "AWS::Region": "ap-northeast-1",
            "AWS::AccountId": account,
            "Stage": stage,
            "MailDomain": DOMAIN,
            "DrillDomain": "",
            "ConfigurationSet": lambdas.env["CAMPAIGN_SES_CONFIGURATION_SET"],
            "Table.Arn": table_arn(lambdas, account),
        },
        conditions={"HasRestoredTable": False, "HasDrillDomain": False},
    )
    document = resources("AWS::IAM::ManagedPolicy")["StaffPolicy"]["Properties"]["PolicyDocument"]
    return Policy.of(document, stack)


def partition_key() -> str:
    (hash_key,) = [
        k["AttributeName"]
        for k in resources("AWS::DynamoDB::Table")["Table"]["Properties"]["KeySchema"]
        if k["KeyType"] == "HASH"
    ]
    return str(hash_key)


def run_staff_commands(
    lambdas: Lambdas, monkeypatch: pytest.MonkeyPatch, tmp: str, commands: list[tuple[str, list[str]]]
) -> dict[str, list[AwsCall]]:
    """Each command with the README's staff environment (on a drill applied for through the form,
    when one is named), and the AWS calls it made."""
    application = ""
    if any("{app}" in template for _, template in commands):
        application = accepted_drill(
            lambdas, [f"hanako@{OFFICER.split('@')[1]}"], address="千代田区千代田5-5-5"
        )
    audit.aws_caller.cache_clear()  # its STS call is made (once) by the first command, recorded
    calls = record_aws_calls(monkeypatch)
    env = staff_environment(lambdas) | {
        "CAMPAIGN_DRILL_DOMAIN": DOMAIN,
        "CAMPAIGN_REPORT_ADDRESS": REPORT_ADDRESS,
    }
    made: dict[str, list[AwsCall]] = {}
    for now, template in commands:
        args = [a.format(app=application, tmp=tmp) for a in template]
        before = len(calls)
        result = CliRunner().invoke(cli, args, env=env | {"CAMPAIGN_NOW": now})
        assert result.exit_code == 0, (args, result.output)
        made[" ".join(template) or "(overview)"] = calls[before:]
    return made


def table_arn(lambdas: Lambdas, account: str) -> str:
    return f"arn:aws:dynamodb:ap-northeast-1:{account}:table/{lambdas.env['CAMPAIGN_DYNAMODB_TABLE']}"


def account_of(lambdas: Lambdas) -> str:
    sts = boto3.client("sts", endpoint_url=lambdas.moto.endpoint, **MOTO_CREDENTIALS)
    return str(sts.get_caller_identity()["Account"])


def requests_of(calls: Mapping[str, list[AwsCall]], account: str) -> dict[str, list[Request]]:
    return {
        command: [r for c in made for r in iam_requests(c, account, partition_key())]
        for command, made in calls.items()
    }


def test_the_staff_policy_allows_every_call_of_the_branch_staffs_commands(
    lambdas: Lambdas, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls = run_staff_commands(lambdas, monkeypatch, str(tmp_path), STAFF_COMMANDS)
    account = account_of(lambdas)
    policy = staff_policy(lambdas, account)
    asked = requests_of(calls, account)
    refused = {
        (command, r.action, r.resource)
        for command, requests in asked.items()
        for r in requests
        if not policy.allows(r)
    }
    assert refused == set()
    # The hook saw the commands work: every one read or wrote the table, mail went out by SES
    # (the send, the report), and the signing key came from SSM.
    assert all(any(r.action.startswith("dynamodb:") for r in requests) for requests in asked.values()), asked
    actions = {r.action for requests in asked.values() for r in requests}
    assert {"ses:SendEmail", "ssm:GetParameter", "dynamodb:Query"} <= actions
    # ... and nothing else (issue 10 §5): every action the policy allows, some command asks for.
    granted = {a for s in policy.statements if s["Effect"] == "Allow" for a in listed(s["Action"])}
    assert granted - actions == set()
    assert any(r.resource.endswith("/index/due") for r in asked["send-due"])  # an index ARN was asked


def test_the_staff_policy_denies_deleting_the_table_its_backups_and_the_audit_lines_staff_wrote(
    lambdas: Lambdas, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Commands that write audit lines (no drill needed, so quicker than the whole list).
    commands = [(MONDAY, ["applications", "--json"]), (MONDAY, ["suppressed", "--json"])]
    calls = run_staff_commands(lambdas, monkeypatch, str(tmp_path), commands)
    account = account_of(lambdas)
    policy = staff_policy(lambdas, account)
    table = table_arn(lambdas, account)
    for action in (
        "DeleteTable",
        "UpdateTable",
        "DeleteBackup",
        "UpdateTimeToLive",
        "UpdateContinuousBackups",
    ):
        assert not policy.allows(Request(f"dynamodb:{action}", table))
    assert not policy.allows(
        Request("backup:DeleteRecoveryPoint", f"arn:aws:backup:ap-northeast-1:{account}:recovery-point:x")
    )
    # The audit lines the commands just wrote, by their real keys: written, never changed or deleted.
    written = [
        r
        for requests in requests_of(calls, account).values()
        for r in requests
        if r.action == "dynamodb:PutItem" and r.leading_keys == (AUDIT,)
    ]
    assert written, "the staff commands wrote no audit line"
    for line in written:
        assert policy.allows(line)
        for action in ("dynamodb:UpdateItem", "dynamodb:DeleteItem"):
            assert not policy.allows(Request(action, line.resource, line.leading_keys))
    # ... while other records stay the staff's to change (the deny is that narrow).
    assert policy.allows(Request("dynamodb:DeleteItem", table, ("drill_message",)))


# The mapping and the evaluator themselves, on calls written out by hand.

TABLE = "arn:aws:dynamodb:ap-northeast-1:123456789012:table/t"


def call(service: str, operation: str, **params: Any) -> AwsCall:
    return AwsCall(service, operation, "ap-northeast-1", params)


def test_a_transaction_asks_for_the_action_of_each_item_and_a_query_on_an_index_for_the_index() -> None:
    transaction = call(
        "dynamodb",
        "TransactWriteItems",
        TransactItems=[
            {"ConditionCheck": {"TableName": "t", "Key": {"pk": {"S": "office"}, "sk": {"S": "k"}}}},
            {"Put": {"TableName": "t", "Item": {"pk": {"S": "drill"}, "sk": {"S": "k"}}}},
            {"Update": {"TableName": "t", "Key": {"pk": {"S": "campaign_summary"}, "sk": {"S": "2026"}}}},
            {"Delete": {"TableName": "t", "Key": {"pk": {"S": "audit"}, "sk": {"S": "k"}}}},
        ],
    )
    assert iam_requests(transaction, "123456789012", "pk") == [
        Request("dynamodb:ConditionCheckItem", TABLE, ("office",)),
        Request("dynamodb:PutItem", TABLE, ("drill",)),
        Request("dynamodb:UpdateItem", TABLE, ("campaign_summary",)),
        Request("dynamodb:DeleteItem", TABLE, ("audit",)),
    ]
    query = call("dynamodb", "Query", TableName="t", IndexName="due")
    assert iam_requests(query, "123456789012", "pk") == [Request("dynamodb:Query", f"{TABLE}/index/due")]
    with pytest.raises(AssertionError, match="no IAM mapping for dynamodb BatchWriteItem"):
        iam_requests(call("dynamodb", "BatchWriteItem", RequestItems={}), "123456789012", "pk")


def test_the_evaluator_lets_a_deny_win_and_refuses_a_condition_it_cannot_evaluate() -> None:
    policy = Policy(
        [
            {"Effect": "Allow", "Action": ["dynamodb:*Item"], "Resource": [TABLE]},
            {
                "Effect": "Deny",
                "Action": "dynamodb:DeleteItem",
                "Resource": "*",
                "Condition": {"ForAnyValue:StringLike": {"dynamodb:LeadingKeys": ["audit*"]}},
            },
        ]
    )
    assert policy.allows(Request("dynamodb:DeleteItem", TABLE, ("drill_message",)))
    assert not policy.allows(Request("dynamodb:DeleteItem", TABLE, ("audit",)))
    assert not policy.allows(Request("dynamodb:GetItem", f"{TABLE}/index/due", ("x",)))  # not the table
    with pytest.raises(AssertionError, match="leading keys unknown"):
        policy.allows(Request("dynamodb:DeleteItem", TABLE))


def test_with_a_separate_drill_domain_the_staff_policy_sends_from_both_identities() -> None:
    stack = Stack(
        values={
            "AWS::Partition": "aws",
            "AWS::Region": "ap-northeast-1",
            "AWS::AccountId": "123456789012",
            "Stage": "prod",
            "MailDomain": "example.jp",
            "DrillDomain": "drill-mail.example.jp",
            "ConfigurationSet": "security-drill-prod",
            "Table.Arn": TABLE,
        },
        conditions={"HasRestoredTable": False, "HasDrillDomain": True},
    )
    policy = Policy.of(
        resources("AWS::IAM::ManagedPolicy")["StaffPolicy"]["Properties"]["PolicyDocument"], stack
    )
    ses = "arn:aws:ses:ap-northeast-1:123456789012:"
    for domain in ("example.jp", "drill-mail.example.jp"):
        assert policy.allows(Request("ses:SendEmail", f"{ses}identity/{domain}"))
    assert not policy.allows(Request("ses:SendEmail", f"{ses}identity/elsewhere.example.com"))
    assert policy.allows(
        Request(
            "ssm:GetParameter",
            "arn:aws:ssm:ap-northeast-1:123456789012:parameter/security-drill/prod/secret-key",
        )
    )
    assert not policy.allows(
        Request(
            "ssm:GetParameter",
            "arn:aws:ssm:ap-northeast-1:123456789012:parameter/security-drill/dev/secret-key",
        )
    )
