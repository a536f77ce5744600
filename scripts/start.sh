#!/usr/bin/env bash
# npm start: the whole system on one machine. Starts the local stack (Temporal dev server + Web UI, SQS and Kinesis
# emulators), applies the schedule, starts a sensor-fleet simulator in the background and runs the worker in the
# foreground. Ctrl-C stops the worker and the simulator; `npm run stack:down` stops the stack.
# Quiet by default: the stack's start-up progress goes to .stack/logs/stack-up.log (all of it is printed if the stack
# fails to start); the terminal gets its warnings, its summary, the banner and the worker's INFO lines.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/common.sh
source scripts/lib/common.sh
load_env
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true

[[ -d node_modules ]] || npm ci
mkdir -p .stack/logs
STACK_UP_LOG=.stack/logs/stack-up.log
echo "[stack] starting the local stack (progress in $STACK_UP_LOG)"
if ! bash scripts/stack-up.sh >"$STACK_UP_LOG" 2>&1; then
  cat "$STACK_UP_LOG" >&2
  exit 1
fi
grep -E '^\[stack\] WARNING' "$STACK_UP_LOG" >&2 || true
sed -n '/^\[stack\] local stack is up/,$p' "$STACK_UP_LOG"
npx tsx src/schedule/cli.ts apply

mkdir -p .stack/fleet
FLEET_RATE="${FLEET_RATE:-0.27}"
FLEET_DURATION="${FLEET_DURATION:-3600}"
npx tsx tools/fleet/cli.ts --rate "$FLEET_RATE" --duration "$FLEET_DURATION" --broken 0.096 \
  --manifest .stack/fleet/manifest.jsonl >.stack/logs/fleet.log 2>&1 &
FLEET_PID=$!
trap 'kill "$FLEET_PID" 2>/dev/null || true' EXIT

cat <<BANNER

  Telemetry preprocessor is running locally.
    Temporal Web UI   http://127.0.0.1:${TEMPORAL_UI_PORT}/namespaces/${TEMPORAL_NAMESPACE}/schedules
    Schedule          ${SCHEDULE_ID} (every ${SCHEDULE_INTERVAL}); run one now:
                      npm run schedule -- trigger   (queued behind a running run, never beside it)
    Sensor fleet      ${FLEET_RATE} submissions/s, ~9.6 % broken (log .stack/logs/fleet.log, manifest .stack/fleet/)
    Check the stream  npm run verify -- --manifest .stack/fleet/manifest.jsonl --in-flight --allow-duplicates
    Stop              Ctrl-C (worker and fleet), then npm run stack:down

BANNER
npx tsx src/worker.ts
