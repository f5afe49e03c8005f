"""What `scripts/deploy` tells CloudFormation, and what it keeps in the account between deploys.

- `parameter_overrides`: `--parameter-overrides` as the SAM CLI parses it
  (`samcli.cli.types.CfnParameterOverridesType`): each `Name="value"` one argument, the value in
  double quotes, so an empty value, a display name with spaces and a list of CSP hashes each arrive
  whole. The parser unquotes `\\"` but no other backslash, so a value with one is refused.
- `merged_hashes`: the CSP hashes of the stack's current pages and of the new build together, for the
  update that comes before the upload (the old pages keep running until they are replaced); the
  deploy narrows to the new ones once the site is uploaded and CloudFront invalidated.
- `STACK_POLICY`: CloudFormation may update the table in place, never replace or delete it.
- `ensure_origin_secret`: the random value CloudFront sends the API in `X-Origin-Verify`, an SSM
  String parameter the stack resolves on every update (`OriginVerifySecret`). The deploy creates it;
  `--rotate-origin-secret` puts `new,old` first (the functions accept both while CloudFront's edges
  change over), then `new` alone for the narrowing update.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping
from email.utils import parseaddr
from typing import Any

STACK_POLICY: dict[str, Any] = {
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": ["Update:Replace", "Update:Delete"],
            "Resource": "LogicalResourceId/Table",
        },
        {"Effect": "Allow", "Principal": "*", "Action": "Update:*", "Resource": "*"},
    ]
}


def parameter_overrides(values: Mapping[str, str]) -> list[str]:
    """The `--parameter-overrides` arguments, one `Name="value"` per parameter."""
    arguments = []
    for name, value in values.items():
        if "\\" in value or "\n" in value:
            raise ValueError(f"{name}: a backslash or a line break cannot pass --parameter-overrides")
        escaped = value.replace('"', '\\"')
        arguments.append(f'{name}="{escaped}"')
    return arguments


def merged_hashes(current: str, new: Iterable[str]) -> list[str]:
    """The hashes the stack allows now (its `InlineScriptHashes`) and the new build's, sorted."""
    return sorted(set(current.split()) | set(new))


def stack_parameters(cfn: Any, stack: str) -> dict[str, str] | None:
    """The stack's current parameter values; None when the stack does not exist yet."""
    from botocore.exceptions import ClientError

    try:
        described = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    except ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise
    return {p["ParameterKey"]: p.get("ParameterValue", "") for p in described.get("Parameters", [])}


def require_hashes(cfn: Any, stack: str, hashes: Iterable[str]) -> None:
    """Stop unless the stack now allows the new pages' scripts: a change set declined at the prompt
    ends `sam deploy` without an error, and the new site must not go up under the old CSP."""
    allowed = set((stack_parameters(cfn, stack) or {}).get("InlineScriptHashes", "").split())
    if not set(hashes) <= allowed:
        raise SystemExit(f"{stack} was not updated (change set declined?): the site was not uploaded")


def stack_outputs(cfn: Any, stack: str) -> dict[str, str]:
    described = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", []) if "OutputKey" in o}


def protect_table(cfn: Any, stack: str) -> None:
    """Set the stack policy (after the first create: `sam deploy` cannot pass one)."""
    cfn.set_stack_policy(StackName=stack, StackPolicyBody=json.dumps(STACK_POLICY))


def origin_secret_name(stage: str) -> str:
    return f"/security-drill/{stage}/origin-verify"


def _new_secret() -> str:
    return secrets.token_urlsafe(32)  # URL-safe: no comma, the separator of the accepted values


def ensure_origin_secret(ssm: Any, stage: str, *, rotate: bool = False) -> str:
    """Create the origin secret if missing; with `rotate`, a new one accepted beside the old.
    Returns the parameter's value (accepted values, comma-separated, the one CloudFront sends first)."""
    name = origin_secret_name(stage)
    try:
        current = str(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    except ssm.exceptions.ParameterNotFound:
        current = ""
    if current and not rotate:
        return current
    value = _new_secret() + ("," + current.split(",")[0] if current else "")
    ssm.put_parameter(
        Name=name,
        Value=value,
        Type="String",  # CloudFront custom headers resolve `ssm`, not `ssm-secure`
        Overwrite=True,
        Description="X-Origin-Verify: CloudFront to the API (scripts/deploy creates and rotates it)",
    )
    return value


def settle_origin_secret(ssm: Any, stage: str) -> bool:
    """After a rotation has reached every edge: keep only the new value. True if it changed."""
    name = origin_secret_name(stage)
    current = str(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    newest = current.split(",")[0]
    if newest == current:
        return False
    ssm.put_parameter(Name=name, Value=newest, Type="String", Overwrite=True)
    return True


def sender_problem(sender: str, mail_domain: str) -> str | None:
    """Why SES would refuse this From under the functions' IAM policy (which names the identity
    `MailDomain` only); None when it is covered."""
    _, address = parseaddr(sender)
    if "@" not in address:
        return f"--sender {sender!r} holds no address (e.g. 'Name <noreply@{mail_domain}>')"
    domain = address.rpartition("@")[2].lower()
    if domain != mail_domain.lower():
        return (
            f"--sender is in {domain}, but the functions may send only as the SES identity "
            f"{mail_domain} (--mail-domain): use an address @{mail_domain}"
        )
    return None


def active_rule_set_conflict(ses: Any, ours: str) -> str | None:
    """Another receipt rule set active in this region (one may be active per region): its name."""
    active = ses.describe_active_receipt_rule_set().get("Metadata", {}).get("Name")
    return active if active and active != ours else None
