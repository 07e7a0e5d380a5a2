#!/usr/bin/env bash
# Debian packages the tests need: Chromium and Japanese fonts for page tests, PostgreSQL,
# poppler-utils (pdftoppm renders a generated PDF page to PNG).
# Installs only what is missing, so repeated runs cost nothing.
set -euo pipefail
need=()
for pkg in chromium fonts-noto-cjk postgresql poppler-utils; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
