#!/usr/bin/env bash
# Proves the production shape on this machine (no Docker engine): installs production dependencies only
# (`npm ci --omit=dev`) into a scratch folder beside dist/, starts `NODE_ENV=production node dist/src/worker.js`
# against the running local stack, and waits for it to poll. Prints the install size and the cold start
# (process start → "worker polling"); exits non-zero if the worker does not come up or tsx/typescript got installed.
# Usage: bash scripts/check-production-build.sh [--compare]   (after npm run build and npm run stack);
#   --compare also times the development start (tsx src/worker.ts) in the same run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ "${1:-}" == "--help" || "${1:-}" == "-h" ]] && { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0; }
[[ -f dist/workflow-bundle.js && -f dist/src/worker.js ]] || { echo "run npm run build first" >&2; exit 1; }
# shellcheck source=scripts/lib/common.sh
source scripts/lib/common.sh
load_env

scratch="$(mktemp -d)"
trap 'kill "${worker_pid:-0}" 2>/dev/null || true; rm -rf "$scratch"' EXIT
cp package.json package-lock.json "$scratch/"
cp -r dist "$scratch/dist"
(cd "$scratch" && npm ci --omit=dev --no-audit --no-fund --loglevel=error >/dev/null)
for dev_only in tsx typescript ts-jest jest; do
  if [[ -e "$scratch/node_modules/$dev_only" ]]; then echo "FAIL: $dev_only is installed in production" >&2; exit 1; fi
done
install_mb="$(du -sm "$scratch/node_modules" | cut -f1)"

log_file="$scratch/worker.log"
# NODE_ENV=production refuses to start without a payload key (G8, docs/confidentiality.md): a throwaway key, so the
# check also proves the encrypting start-up path; it never leaves this process's environment.
check_key="$(node -e "console.log(require('node:crypto').randomBytes(32).toString('base64'))")"
start_ms="$(now_ms)"
(cd "$scratch" && NODE_ENV=production ENV_FILES=off PAYLOAD_KEYS="production-check:$check_key" METRICS_PORT=0 TEMPORAL_TASK_QUEUE="production-check-$$" \
  exec node dist/src/worker.js >"$log_file" 2>&1) &
worker_pid=$!
deadline=$(($(now_ms) + 60000))
until grep -q "worker polling" "$log_file"; do
  if ! kill -0 "$worker_pid" 2>/dev/null || (($(now_ms) > deadline)); then
    echo "FAIL: the production worker did not start polling:" >&2; tail -20 "$log_file" >&2; exit 1
  fi
  sleep 0.05
done
grep -q "payloads compressed and encrypted" "$log_file" || { echo "FAIL: the worker did not report encryption" >&2; exit 1; }
echo "production build OK: npm ci --omit=dev installs ${install_mb} MB; cold start $(($(now_ms) - start_ms)) ms (process start → polling, prebuilt bundle)"

if [[ "${1:-}" == "--compare" ]]; then
  # The development start for comparison: tsx compiles on the fly and webpack bundles the workflows at start-up.
  kill "$worker_pid" 2>/dev/null || true
  dev_log="$scratch/dev-worker.log"
  start_ms="$(now_ms)"
  METRICS_PORT=0 TEMPORAL_TASK_QUEUE="production-check-dev-$$" node_modules/.bin/tsx src/worker.ts >"$dev_log" 2>&1 &
  worker_pid=$!
  until grep -q "worker polling" "$dev_log"; do
    kill -0 "$worker_pid" 2>/dev/null || { tail -20 "$dev_log" >&2; exit 1; }
    sleep 0.05
  done
  echo "development start for comparison: $(($(now_ms) - start_ms)) ms (tsx, workflows bundled at start-up)"
fi
