"""The audit log: one record of kind "audit" for every staff command that reads or changes personal
data. A line says who, when, which command and what it touched, as counts and filters; never an
e-mail address or a name. Who: on AWS (`CAMPAIGN_STORE=dynamodb`) the caller's identity as STS
reports it (`sts:GetCallerIdentity`, e.g. the Identity Center role session of the staff member),
which no environment variable can change; locally the `CAMPAIGN_STAFF` variable, else the
operating-system user."""

from __future__ import annotations

import functools
import getpass
import os
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from campaign_core.clock import Clock
from campaign_core.records import AUDIT
from campaign_core.store import Record, Store


@functools.cache
def aws_caller(endpoint_url: str | None = None, region_name: str | None = None) -> str:
    """The ARN of whoever the AWS credentials belong to (one STS call per process)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    client = boto3.session.Session().client("sts", endpoint_url=endpoint_url, region_name=region_name)
    try:
        return str(client.get_caller_identity()["Arn"])
    except (BotoCoreError, ClientError) as exc:
        raise RuntimeError(f"cannot tell who runs this command (sts:GetCallerIdentity): {exc}") from exc


def staff_member(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    if env.get("CAMPAIGN_STORE", "sqlite") == "dynamodb":
        return aws_caller(
            env.get("CAMPAIGN_AWS_ENDPOINT_URL") or None, env.get("CAMPAIGN_AWS_REGION") or None
        )
    named = env.get("CAMPAIGN_STAFF", "").strip()
    if named:
        return named
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name for this uid (a container)
        return f"uid:{os.getuid()}"


def record(
    store: Store,
    clock: Clock,
    command: str,
    details: Mapping[str, Any] | None = None,
    *,
    who: str | None = None,
) -> str:
    """Write one audit line; returns its key (time first, so keys sort by time)."""
    now = clock.now().astimezone(UTC)
    key = f"{now.isoformat()}#{secrets.token_hex(4)}"
    store.put_new(
        AUDIT,
        key,
        {
            "who": who or staff_member(),
            "at": now.isoformat(),
            "command": command,
            "details": dict(details or {}),
        },
    )
    return key


def lines(store: Store, *, since: datetime | None = None) -> list[Record]:
    found = store.query(AUDIT)
    if since is None:
        return found
    start = since.astimezone(UTC).isoformat()
    return [r for r in found if str(r.data.get("at", "")) >= start]
