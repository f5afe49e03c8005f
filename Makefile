# The two commands: `make run` (set up, build, serve) and `make test` (set up, run everything).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Python 3.13, the Lambda runtime's version: the Lambda-facing tests run again in this venv.
PY313_VENV := .cache/py313-venv
LAMBDA_TESTS := tests/aws/test_lambda_flow.py tests/aws/test_purge.py
export NO_MKDOCS_2_WARNING := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test site lint typecheck pytest test-deps audit bench clean deploy

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/activate
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

# The build makes PDFs with WeasyPrint: Pango and a Japanese font from Debian, installed when missing.
site: $(VENV)/.installed
	./scripts/install-pdf-deps.sh
	$(BIN)/mkdocs build --strict --quiet

run: site
	$(BIN)/python -m local.serve

$(PY313_VENV)/.installed: pyproject.toml constraints.txt
	./scripts/install-py313.sh

# Debian packages and npm modules the browser tests need (chromium, fonts, axe-core), the SAM CLI,
# and the Python 3.13 venv.
test-deps: $(VENV)/.installed $(PY313_VENV)/.installed
	./scripts/install-test-deps.sh

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(VENV)/.installed
	$(BIN)/mypy

pytest: $(VENV)/.installed $(PY313_VENV)/.installed
	$(BIN)/pytest
	$(PY313_VENV)/bin/pytest -q $(LAMBDA_TESTS)

SEED_CHECK := ../shared/tools/copied_from_seeds.py

test: test-deps lint typecheck site pytest
	@if [ -f $(SEED_CHECK) ]; then $(PYTHON) $(SEED_CHECK) .; else echo "$(SEED_CHECK) is not on this machine: not run"; fi

audit: site test-deps
	./scripts/audit.sh

bench: site $(PY313_VENV)/.installed
	$(BIN)/python -m bench.core

# AWS (see README): the options come from DEPLOY_ARGS or CAMPAIGN_DEPLOY_* variables.
deploy: $(VENV)/.installed
	./scripts/deploy $(DEPLOY_ARGS)

clean:
	rm -rf site .venv node_modules .pytest_cache .mypy_cache .ruff_cache
