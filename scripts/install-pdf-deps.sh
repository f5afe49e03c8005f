#!/usr/bin/env bash
# Installs what WeasyPrint needs to make the site's PDFs (flyer, guides) and `campaign report
# --format pdf`, only when missing: Debian's Pango (with its FreeType backend), HarfBuzz's font
# subsetter, fontconfig and a Japanese font (Noto Sans CJK). `make site`, hence `make run`, calls it.
set -euo pipefail

missing=()
for package in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-noto-cjk; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages for the PDFs: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
