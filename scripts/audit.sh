#!/usr/bin/env bash
# Lighthouse audit of the built guide site: one page of each page type, served by the local server,
# audited with Debian's chromium; prints page × performance / accessibility / best practices / SEO
# and marks each score against its goal. Exits 1 when a goal is missed.
#
# Not part of `make test`: Lighthouse scores vary with machine load. Run `make audit` (it builds first).
# LIGHTHOUSE_PRESET=desktop audits with the desktop preset instead of Lighthouse's default (a phone).
set -euo pipefail
cd "$(dirname "$0")/.."

LIGHTHOUSE_VERSION=12.2.3
PREFIX=.cache/lighthouse
LIGHTHOUSE="$PREFIX/node_modules/.bin/lighthouse"
REPORTS="$PREFIX/reports"
PYTHON=.venv/bin/python
export CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"

# One page of each page type (path below the site root, label).
PAGES=(
  "|top"
  "seminars/|seminars"
  "drill/|drill"
  "officers/|officers manual"
  "officers/notice/|notice"
  "participants/|participants"
  "managers/|managers"
  "chambers/|chambers kit"
  "help/|help"
  "selfcheck/|self-check"
  "further/|further"
  "privacy/|privacy"
)

# `scripts/audit.sh top help` audits only the pages with those labels (dashes for spaces).
if (($#)); then
  SELECTED=()
  for entry in "${PAGES[@]}"; do
    label="${entry#*|}"
    for wanted in "$@"; do
      if [[ "${label// /-}" == "$wanted" ]]; then SELECTED+=("$entry"); fi
    done
  done
  if ((${#SELECTED[@]} == 0)); then
    echo "no page type named $*; known: $(for e in "${PAGES[@]}"; do l="${e#*|}"; printf '%s ' "${l// /-}"; done)" >&2
    exit 2
  fi
  PAGES=("${SELECTED[@]}")
fi

installed_version() {
  node -p "require('./$PREFIX/node_modules/lighthouse/package.json').version" 2>/dev/null || true
}

if [[ "$(installed_version)" != "$LIGHTHOUSE_VERSION" ]]; then
  echo "Installing lighthouse@$LIGHTHOUSE_VERSION into $PREFIX ..."
  mkdir -p "$PREFIX"
  npm install --prefix "$PREFIX" --no-audit --no-fund --loglevel=error "lighthouse@$LIGHTHOUSE_VERSION" >/dev/null
fi
if [[ ! -x "$CHROME_PATH" ]]; then
  echo "Chromium not found at $CHROME_PATH; \`make test-deps\` installs Debian's chromium" >&2
  exit 2
fi
if [[ ! -f site/index.html ]]; then
  echo "The site is not built; run \`make audit\` (it builds the site first)." >&2
  exit 2
fi

PORT="$($PYTHON -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
DATA_DIR="$(mktemp -d)"
PORT="$PORT" CAMPAIGN_DATA_DIR="$DATA_DIR" CAMPAIGN_SITE_DIR="$PWD/site" "$PYTHON" -m local.serve \
  >"$DATA_DIR/server.log" 2>&1 &
SERVER_PID=$!
cleanup() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  rm -rf "$DATA_DIR"
}
trap cleanup EXIT

BASE="http://127.0.0.1:$PORT"
# Wait for the server (with Python, not curl: a fresh Debian may lack curl).
if ! "$PYTHON" - "$BASE/api/health" <<'EOF'
import sys
import time
import urllib.request

for _ in range(150):
    try:
        with urllib.request.urlopen(sys.argv[1], timeout=1):
            sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
EOF
then
  cat "$DATA_DIR/server.log" >&2
  exit 2
fi

# Chromium must not reach out to Google's services from this closed network.
CHROME_FLAGS="--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
--no-default-browser-check --disable-background-networking --disable-component-update --disable-sync \
--disable-default-apps --disable-extensions --disable-domain-reliability --metrics-recording-only \
--disable-client-side-phishing-detection --disable-features=OptimizationHints,MediaRouter,Translate"

PRESET_ARGS=()
if [[ "${LIGHTHOUSE_PRESET:-}" == "desktop" ]]; then PRESET_ARGS=(--preset=desktop); fi

rm -rf "$REPORTS" && mkdir -p "$REPORTS"
for entry in "${PAGES[@]}"; do
  path="${entry%%|*}"
  label="${entry#*|}"
  name="$(echo "$label" | tr ' ' '-')"
  echo "Auditing /$path ($label) ..."
  "$LIGHTHOUSE" "$BASE/$path" --quiet \
    --only-categories=performance,accessibility,best-practices,seo \
    --output=json --output=html --output-path="$REPORTS/$name" \
    --chrome-flags="$CHROME_FLAGS" "${PRESET_ARGS[@]}" \
    || echo "lighthouse failed on /$path" >&2
done

"$PYTHON" - "$REPORTS" "${PAGES[@]}" <<'EOF'
"""Prints the score table from the JSON reports and exits 1 when a goal is missed."""

import json
import sys
from pathlib import Path

GOALS = {"performance": 0.98, "accessibility": 0.98, "best-practices": 1.00, "seo": 0.98}
reports = Path(sys.argv[1])
missed = 0
print(f"\n{'page':<18}" + "".join(f"{key:>18}" for key in GOALS))
print(f"{'goal':<18}" + "".join(f"{'>= ' + format(goal, '.2f'):>18}" for goal in GOALS.values()))
for entry in sys.argv[2:]:
    path, label = entry.split("|", 1)
    report = reports / (label.replace(" ", "-") + ".report.json")
    if not report.is_file():
        print(f"{label:<18}{'(no report)':>18}")
        missed += 1
        continue
    categories = json.loads(report.read_text(encoding="utf-8"))["categories"]
    cells = []
    for key, goal in GOALS.items():
        score = categories[key]["score"]
        ok = score is not None and score >= goal
        missed += not ok
        cells.append(f"{'-' if score is None else format(score, '.2f')} {'ok' if ok else 'MISS':>4}")
    print(f"{label:<18}" + "".join(f"{cell:>18}" for cell in cells))
print(f"\nReports: {reports}/*.report.html")
if missed:
    print(f"{missed} score(s) below goal")
    sys.exit(1)
print("All goals met")
EOF
