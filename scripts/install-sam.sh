#!/usr/bin/env bash
# The AWS SAM CLI and cfn-lint in their own virtual environment (.cache/sam-venv): the SAM CLI pins
# boto3 and botocore to versions other than the project's, so it cannot share .venv.
# Idempotent: does nothing when the pinned versions are already there.
set -euo pipefail
cd "$(dirname "$0")/.."

SAM_CLI_VERSION=1.170.0
CFN_LINT_VERSION=1.58.0
VENV=.cache/sam-venv
PYTHON=${PYTHON:-python3}

if [ -x "$VENV/bin/sam" ] && [ -x "$VENV/bin/cfn-lint" ] \
  && "$VENV/bin/sam" --version 2>/dev/null | grep -qx "SAM CLI, version $SAM_CLI_VERSION" \
  && "$VENV/bin/cfn-lint" --version 2>/dev/null | grep -qx "cfn-lint $CFN_LINT_VERSION"; then
  exit 0
fi
echo "Installing aws-sam-cli $SAM_CLI_VERSION and cfn-lint $CFN_LINT_VERSION into $VENV"
mkdir -p .cache
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "aws-sam-cli==$SAM_CLI_VERSION" "cfn-lint==$CFN_LINT_VERSION"
