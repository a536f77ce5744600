#!/usr/bin/env bash
# npm run stack:down [-- --reset]: stop what scripts/stack-up.sh started, by the pid files in .stack/pids
# (TERM to the service's process group, KILL after STACK_STOP_TIMEOUT seconds, default 20). Harmless when nothing runs.
# --reset (or STACK_RESET=1) also deletes .stack/temporal.db (Temporal history, schedules, search attributes) and
# .stack/kinesis (persisted stream data, only written with KINESIS_PERSIST=1) for a clean slate.
# Services that stack-up found already running without a pid file of ours are never touched.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

reset="${STACK_RESET:-0}"
for arg in "$@"; do
  case "$arg" in
    --reset) reset=1 ;;
    -h | --help)
      sed -n '2,6p' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) die "unknown argument: $arg (use --reset)" ;;
  esac
done

timeout_s="${STACK_STOP_TIMEOUT:-20}"
# stop the four in parallel; each stop waits for its process to exit (Temporal closes the SQLite db on TERM)
jobs_pids=()
for name in sqs kinesis temporal codec; do
  stop_pid "$name" "$timeout_s" &
  jobs_pids+=($!)
done
status=0
for p in "${jobs_pids[@]}"; do wait "$p" || status=1; done
((status == 0)) || die "could not stop every service (see above)"

if [[ "$reset" == 1 ]]; then
  rm -f "$STACK_DIR/temporal.db" "$STACK_DIR/temporal.db-shm" "$STACK_DIR/temporal.db-wal" "$STACK_DIR/temporal.db-journal"
  rm -rf "$STACK_DIR/kinesis"
  log "reset: removed ${STACK_DIR#"$STACK_ROOT"/}/temporal.db and ${STACK_DIR#"$STACK_ROOT"/}/kinesis"
fi
log "stack is down"
