"""The real SAM CLI's own option parser, run from its venv (.cache/sam-venv) in a subprocess: what
`sam deploy` would make of an argument list, without deploying anything."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from typing import Any

from campaign_core.settings import PROJECT_ROOT

SAM_PYTHON = PROJECT_ROOT / ".cache" / "sam-venv" / "bin" / "python"

# `click.Command.make_context` parses and runs the option callbacks (the template must exist) but
# invokes nothing; CfnParameterOverridesType is the type of --parameter-overrides.
_PARSE = """
import json, sys
from samcli.commands.deploy.command import cli
ctx = cli.make_context("deploy", json.loads(sys.argv[1]))
params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in ctx.params.items()}
params["region"] = ctx.obj.region  # --region is not a parameter: its callback sets the context's region
print(json.dumps(params, default=str, ensure_ascii=False))
"""


def sam_deploy_params(argv: Sequence[str]) -> dict[str, Any]:
    """The parsed parameters of `sam deploy ARGV` (ARGV without the `sam deploy` words)."""
    assert SAM_PYTHON.exists(), f"{SAM_PYTHON} is missing: run scripts/install-sam.sh (make test-deps does)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {
        "SAM_CLI_TELEMETRY": "0",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    result = subprocess.run(
        [str(SAM_PYTHON), "-c", _PARSE, json.dumps(list(argv))],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    parsed: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return parsed


def after_deploy(command: Sequence[str]) -> list[str]:
    """A full `.../sam deploy ...` command's arguments after `deploy`."""
    words = list(command)
    return words[words.index("deploy") + 1 :]
