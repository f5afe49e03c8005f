#!/usr/bin/env bash
# A second virtual environment with Python 3.13 (.cache/py313-venv), the Lambda runtime's version:
# `make test` runs the Lambda-facing tests (tests/aws) in it as well as in .venv.
# Idempotent: reinstalls only when pyproject.toml or constraints.txt changed.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.cache/py313-venv
STAMP=$VENV/.installed
if [ -f "$STAMP" ] && [ "$STAMP" -nt pyproject.toml ] && [ "$STAMP" -nt constraints.txt ]; then
  exit 0
fi
PYTHON313=$(./scripts/python313.sh)
echo "Installing the project into $VENV ($("$PYTHON313" --version))"
mkdir -p .cache
"$PYTHON313" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -c constraints.txt -e '.[dev]'
touch "$STAMP"
