#!/usr/bin/env bash
# Headless Chromium for the Web UI browser test (test/e2e/web-ui.test.ts): Debian's `chromium` package, driven by
# playwright-core with executablePath=/usr/bin/chromium. Idempotent: does nothing when the browser is already there.
# Needs root (CI runs as root); nothing is downloaded at test time.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [[ -x "$CHROMIUM" ]]; then
  echo "chromium present: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
  exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
  echo "chromium is missing and this script is not root: run 'sudo apt-get install -y chromium'" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
# Recommends are kept: they bring the fonts the screenshots need.
apt-get install -y chromium
echo "chromium installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
