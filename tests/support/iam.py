"""What IAM would be asked, and what a policy of template.yaml answers (moto enforces no IAM).

`record_aws_calls` records every AWS API call the process makes (a botocore `provide-client-params`
hook on every boto3 session); `iam_requests` turns one call into the IAM authorisations AWS checks
for it (action, resource ARN, DynamoDB leading keys); `Policy` is a policy document of the template
with its intrinsics resolved for one stack, and says whether it allows a request, Deny winning.

The evaluator knows the little the staff policy uses (actions and resources with `*`, one
condition operator); anything else it meets raises, so a new call or statement shape makes a test
fail instead of passing unexamined.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

import boto3
import pytest


@dataclass(frozen=True)
class AwsCall:
    service: str  # botocore's service name: dynamodb, sesv2, ssm, sts
    operation: str  # GetItem, TransactWriteItems, ...
    region: str
    params: Mapping[str, Any] = field(repr=False, compare=False)


def record_aws_calls(monkeypatch: pytest.MonkeyPatch) -> list[AwsCall]:
    """Every AWS call made from now on through a new boto3 session (every adapter makes its own:
    `boto3.session.Session().client(...)`), appended to the returned list as it is made."""
    calls: list[AwsCall] = []

    def record(params: Mapping[str, Any], model: Any, context: Mapping[str, Any], **_: Any) -> None:
        calls.append(AwsCall(model.service_model.service_name, model.name, context["client_region"], params))

    original = boto3.session.Session.__init__

    def init(self: boto3.session.Session, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.events.register("provide-client-params", record)

    monkeypatch.setattr(boto3.session.Session, "__init__", init)
    return calls


@dataclass(frozen=True)
class Request:
    """One authorisation: `leading_keys` None when the call's partition keys are not worked out
    (a Query's), so a condition on them cannot be evaluated (and raises)."""

    action: str
    resource: str
    leading_keys: tuple[str, ...] | None = None


# TransactWriteItems has no IAM action of its own: each item needs the action of its kind.
TRANSACT_ACTIONS = {
    "ConditionCheck": "dynamodb:ConditionCheckItem",
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
}
ITEM_OPERATIONS = {"GetItem", "PutItem", "UpdateItem", "DeleteItem"}


def iam_requests(call: AwsCall, account: str, partition_key: str) -> list[Request]:
    """The authorisations IAM checks for one call (the Service Authorization Reference)."""
    arn = f"arn:aws:{{service}}:{call.region}:{account}:"
    if call.service == "dynamodb":
        return _dynamodb(call, arn.format(service="dynamodb") + "table/", partition_key)
    if call.service == "ssm" and call.operation == "GetParameter":
        # A SecureString under the AWS managed key aws/ssm (the README's put-parameter names no
        # key): that key's policy lets the account's principals decrypt through SSM, no kms: action.
        name = str(call.params["Name"]).removeprefix("/")
        return [Request("ssm:GetParameter", arn.format(service="ssm") + f"parameter/{name}")]
    if call.service == "sts" and call.operation == "GetCallerIdentity":
        return []  # needs no permission, and no policy can deny it
    if call.service == "sesv2" and call.operation == "SendEmail":
        # The v2 reference names ses:SendEmail for this operation; the v1 raw send is
        # ses:SendRawEmail, and which one IAM checks for raw content through v2 is not settled here:
        # both are asked, so the policy is enough either way. Resources: the sending identity and
        # the configuration set.
        ses = arn.format(service="ses")
        resources = [ses + f"identity/{_sender_domain(call.params)}"]
        if call.params.get("ConfigurationSetName"):
            resources.append(ses + f"configuration-set/{call.params['ConfigurationSetName']}")
        actions = ["ses:SendEmail"] + (["ses:SendRawEmail"] if "Raw" in call.params["Content"] else [])
        return [Request(action, resource) for action in actions for resource in resources]
    raise AssertionError(
        f"no IAM mapping for {call.service} {call.operation}: add it to tests/support/iam.py"
    )


def _dynamodb(call: AwsCall, tables: str, partition_key: str) -> list[Request]:
    params = call.params

    def key_of(item: Mapping[str, Any]) -> tuple[str, ...]:
        return (str(item[partition_key]["S"]),)

    if call.operation in ITEM_OPERATIONS:
        item = params["Item"] if call.operation == "PutItem" else params["Key"]
        return [Request(f"dynamodb:{call.operation}", tables + params["TableName"], key_of(item))]
    if call.operation == "DescribeTable":
        return [Request("dynamodb:DescribeTable", tables + params["TableName"])]
    if call.operation in {"Query", "Scan"}:
        index = f"/index/{params['IndexName']}" if params.get("IndexName") else ""
        return [Request(f"dynamodb:{call.operation}", tables + params["TableName"] + index)]
    if call.operation == "BatchGetItem":
        return [
            Request(
                "dynamodb:BatchGetItem",
                tables + table,
                tuple(k for key in asked["Keys"] for k in key_of(key)),
            )
            for table, asked in params["RequestItems"].items()
        ]
    if call.operation == "TransactWriteItems":
        requests = []
        for entry in params["TransactItems"]:
            ((kind, body),) = entry.items()
            item = body["Item"] if kind == "Put" else body["Key"]
            requests.append(Request(TRANSACT_ACTIONS[kind], tables + body["TableName"], key_of(item)))
        return requests
    raise AssertionError(f"no IAM mapping for dynamodb {call.operation}: add it to tests/support/iam.py")


def _sender_domain(params: Mapping[str, Any]) -> str:
    """The domain of the identity SES sends as: the From of the raw message (no FromEmailAddress)."""
    if params.get("FromEmailAddress"):
        return str(params["FromEmailAddress"]).rsplit("@", 1)[1].rstrip(">")
    raw = params["Content"]["Raw"]["Data"]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    (sender,) = message["From"].addresses
    return str(sender.domain)


@dataclass(frozen=True)
class Stack:
    """What one deployed stack's intrinsics resolve to: `values` for `Ref`/`${...}` (parameters,
    pseudo parameters, resources' names, `Table.Arn`), `conditions` for `Fn::If`."""

    values: Mapping[str, str]
    conditions: Mapping[str, bool]

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [r for r in (self.resolve(v) for v in value) if r is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            return _NO_VALUE if value["Ref"] == "AWS::NoValue" else self.values[value["Ref"]]
        if set(value) == {"Fn::GetAtt"}:
            return self.values[value["Fn::GetAtt"]]
        if set(value) == {"Fn::Sub"}:
            return re.sub(r"\$\{([\w:.]+)\}", lambda m: self.values[m.group(1)], value["Fn::Sub"])
        if set(value) == {"Fn::If"}:
            condition, then, otherwise = value["Fn::If"]
            return self.resolve(then if self.conditions[condition] else otherwise)
        return {k: self.resolve(v) for k, v in value.items()}


_NO_VALUE = object()


def listed(value: Any) -> list[Any]:
    """A policy element that may be one value or a list, as a list."""
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Policy:
    statements: list[dict[str, Any]]

    @classmethod
    def of(cls, document: Mapping[str, Any], stack: Stack) -> Policy:
        return cls(list(stack.resolve(document["Statement"])))

    def allows(self, request: Request) -> bool:
        """Allowed by a statement and denied by none (an explicit Deny wins)."""
        matching = [s for s in self.statements if _applies(s, request)]
        return any(s["Effect"] == "Allow" for s in matching) and not any(
            s["Effect"] == "Deny" for s in matching
        )


KNOWN = {"Sid", "Effect", "Action", "Resource", "Condition"}


def _applies(statement: Mapping[str, Any], request: Request) -> bool:
    unknown = set(statement) - KNOWN
    assert not unknown, f"the evaluator does not know {unknown} (statement {statement.get('Sid')})"
    # Actions are case-insensitive, ARNs are not; `*` and `?` are IAM's wildcards in both.
    if not any(fnmatchcase(request.action.lower(), a.lower()) for a in listed(statement["Action"])):
        return False
    if not any(fnmatchcase(request.resource, r) for r in listed(statement["Resource"])):
        return False
    return all(_holds(op, tests, request) for op, tests in statement.get("Condition", {}).items())


def _holds(operator: str, tests: Mapping[str, Any], request: Request) -> bool:
    assert operator == "ForAnyValue:StringLike", f"the evaluator does not know the operator {operator}"
    for key, patterns in tests.items():
        assert key == "dynamodb:LeadingKeys", f"the evaluator does not know the condition key {key}"
        assert request.leading_keys is not None, (
            f"{request.action} on {request.resource}: leading keys unknown"
        )
        if not any(fnmatchcase(k, p) for k in request.leading_keys for p in listed(patterns)):
            return False
    return True
