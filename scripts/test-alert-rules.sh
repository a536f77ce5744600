#!/usr/bin/env bash
# npm run alerts:test: the alert rules' gate. Checks deploy/prometheus/rules.yml and the example configuration with
# promtool, then runs the rules' unit tests (deploy/prometheus/rules.test.yml). Needs promtool
# (bash scripts/install-prometheus.sh). Exit 0 only when every check and test passes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../deploy/prometheus"
command -v promtool >/dev/null || {
  echo "promtool not found: run bash scripts/install-prometheus.sh" >&2
  exit 1
}
promtool check rules rules.yml
promtool check config prometheus.example.yml
promtool test rules rules.test.yml
