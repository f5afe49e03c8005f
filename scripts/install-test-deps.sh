#!/usr/bin/env bash
# Installs what the test suite needs beyond Python packages, only when missing:
# Debian's chromium, chromium-driver, Japanese fonts and spamassassin (the mail tests score every
# mail with its local rules); axe-core from npm.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing+=(fonts-noto-cjk)
command -v spamassassin >/dev/null 2>&1 || missing+=(spamassassin)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" fontconfig >/dev/null
fi

# Pango and the Japanese font WeasyPrint needs for the PDFs the tests render.
./scripts/install-pdf-deps.sh

# AWS SAM CLI and cfn-lint (template tests), in their own venv.
./scripts/install-sam.sh

if [ ! -f node_modules/axe-core/axe.min.js ]; then
  echo "Installing npm packages (axe-core)"
  npm ci --no-audit --no-fund --loglevel=error
fi
