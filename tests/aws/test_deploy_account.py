"""What scripts/deploy keeps in the account between deploys, against the session's moto server
(CloudFormation, SSM, SES): the stack policy, the current CSP hashes, the origin secret and its
rotation, the active receipt rule set; and the functions accepting the old and the new origin
secret while a rotation changes over."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
from flask import Flask

from campaign_core.aws import build_runtime, make_handler
from scripts.deploy_stack import (
    STACK_POLICY,
    active_rule_set_conflict,
    ensure_origin_secret,
    origin_secret_name,
    protect_table,
    require_hashes,
    settle_origin_secret,
    stack_parameters,
)
from tests.support.aws_events import Context, http_event
from tests.support.aws_template import resources
from tests.support.servers import MOTO_CREDENTIALS, MotoServer

# A stack with the two things the deploy reads: the table's logical id and the CSP parameter.
SMALL_STACK = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Parameters": {"InlineScriptHashes": {"Type": "String", "Default": ""}},
    "Resources": {
        "Table": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            },
        }
    },
}


def client(moto: MotoServer, service: str) -> Any:
    return boto3.client(service, endpoint_url=moto.endpoint, **MOTO_CREDENTIALS)  # type: ignore[call-overload]


def test_the_stack_policy_forbids_replacing_or_deleting_the_table(moto_server: MotoServer) -> None:
    cfn = client(moto_server, "cloudformation")
    stack = f"security-drill-policy-{uuid.uuid4().hex[:8]}"
    cfn.create_stack(StackName=stack, TemplateBody=json.dumps(SMALL_STACK))
    protect_table(cfn, stack)
    policy = json.loads(cfn.get_stack_policy(StackName=stack)["StackPolicyBody"])
    assert policy == STACK_POLICY
    denied = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert denied == [s for s in denied if s["Resource"] == "LogicalResourceId/Table"]
    assert {"Update:Replace", "Update:Delete"} <= {a for s in denied for a in s["Action"]}
    # The logical id is the template's own table (a renamed resource would leave it unprotected).
    assert "Table" in resources("AWS::DynamoDB::Table")


def test_the_current_hashes_come_from_the_stack_and_a_new_stack_has_none(moto_server: MotoServer) -> None:
    cfn = client(moto_server, "cloudformation")
    stack = f"security-drill-hashes-{uuid.uuid4().hex[:8]}"
    assert stack_parameters(cfn, stack) is None
    old = "'sha256-b2xk' 'sha256-c2hhcmVk'"
    cfn.create_stack(
        StackName=stack,
        TemplateBody=json.dumps(SMALL_STACK),
        Parameters=[{"ParameterKey": "InlineScriptHashes", "ParameterValue": old}],
    )
    assert (stack_parameters(cfn, stack) or {})["InlineScriptHashes"] == old
    # After `sam deploy`: the new pages go up only if the stack took their hashes (a declined change
    # set leaves the old ones and no error).
    require_hashes(cfn, stack, ["'sha256-b2xk'"])
    with pytest.raises(SystemExit, match="not updated"):
        require_hashes(cfn, stack, ["'sha256-b2xk'", "'sha256-bmV3'"])


def test_the_origin_secret_is_created_once_rotated_beside_the_old_then_settled(
    moto_server: MotoServer,
) -> None:
    ssm = client(moto_server, "ssm")
    stage = f"t{uuid.uuid4().hex[:8]}"
    first = ensure_origin_secret(ssm, stage)
    assert len(first) >= 40 and "," not in first
    assert ensure_origin_secret(ssm, stage) == first  # a plain deploy keeps it
    stored = ssm.get_parameter(Name=origin_secret_name(stage))["Parameter"]
    assert stored["Value"] == first and stored["Type"] == "String"
    rotated = ensure_origin_secret(ssm, stage, rotate=True)
    new, old = rotated.split(",")
    assert old == first and new != first
    assert settle_origin_secret(ssm, stage) is True
    assert ssm.get_parameter(Name=origin_secret_name(stage))["Parameter"]["Value"] == new
    assert settle_origin_secret(ssm, stage) is False


@pytest.mark.parametrize(
    ("sent", "status"), [("new-value", 200), ("old-value", 200), ("other", 403), ("", 403)]
)
def test_during_a_rotation_the_functions_take_the_new_and_the_old_secret(
    tmp_path: Path, sent: str, status: int
) -> None:
    app = Flask("probe")
    app.add_url_rule("/api/health", "health", lambda: "ok")
    env = {
        "CAMPAIGN_SECRET_KEY": "k" * 48,
        "CAMPAIGN_DATA_DIR": str(tmp_path),
        "CAMPAIGN_ORIGIN_VERIFY": "new-value,old-value",  # the SSM value, as the template passes it
    }
    handler = make_handler(app, build_runtime(env))
    response = handler(http_event("GET", "/api/health", origin_verify=sent or None), Context())
    assert response["statusCode"] == status


def test_the_deploy_activates_our_receipt_rules_only_when_no_other_set_is_active(
    moto_server: MotoServer,
) -> None:
    ses = client(moto_server, "ses")
    ours, other = f"security-drill-{uuid.uuid4().hex[:6]}", f"someone-else-{uuid.uuid4().hex[:6]}"
    for name in (ours, other):
        ses.create_receipt_rule_set(RuleSetName=name)
    ses.set_active_receipt_rule_set(RuleSetName=other)
    assert active_rule_set_conflict(ses, ours) == other
    ses.set_active_receipt_rule_set(RuleSetName=ours)
    assert active_rule_set_conflict(ses, ours) is None
