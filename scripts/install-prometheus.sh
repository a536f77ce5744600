#!/usr/bin/env bash
# Prometheus and promtool for the alert-rule tests (deploy/prometheus/: `promtool test rules`) and the scrape test
# (test/e2e/prometheus-scrape.test.ts, which starts `prometheus` as a plain process on a free port).
# Debian's `prometheus` package ships both binaries. Idempotent: does nothing when both are already there.
# The package's own service is never started: a temporary policy-rc.d forbids it during the install (the test starts
# its own process with a generated config instead). Needs root (CI runs as root); nothing is downloaded at test time.
set -euo pipefail

have_both() { command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; }

if have_both; then
  echo "prometheus present: $(promtool --version 2>&1 | head -n 1)"
  exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
  echo "prometheus/promtool missing and this script is not root: run 'sudo apt-get install -y prometheus'" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
added_policy=0
if [[ ! -e "$policy" ]]; then
  # Exit code 101 = "action forbidden": invoke-rc.d then leaves the service alone.
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  added_policy=1
fi
cleanup() { if [[ "$added_policy" == 1 ]]; then rm -f "$policy"; fi; }
trap cleanup EXIT

apt-get update -qq
# No recommends: they add node-exporter and friends, which nothing here uses.
apt-get install -y -qq --no-install-recommends prometheus >/dev/null
have_both || { echo "prometheus installed but prometheus/promtool not on PATH" >&2; exit 1; }
echo "prometheus installed: $(promtool --version 2>&1 | head -n 1)"
