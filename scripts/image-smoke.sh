#!/usr/bin/env bash
# npm run image:smoke: runs the production image (npm run image:build) against the local stack as a deployment
# would: --network host, NODE_ENV=production with ENV_FILES=off (configuration from the environment only), the payload
# key from a read-only mounted file (PAYLOAD_KEYS_FILE), a read-only root filesystem (tmpfs /tmp), the image's non-root
# user. On its own queue, stream, task queue and schedule (nothing shared with other runs):
#   1. a fleet load, processed by the container, passes the verifier
#   2. a second load; SIGTERM while batches are in flight; the worker must exit 0 within its stop timeout; a second
#      container finishes the queue, and the verifier over both loads must pass (nothing lost, nothing duplicated)
# Starts the stack if needed (scripts/stack-up.sh; the caller stops it). Prints the verdicts, the container's user,
# the read-only proof, the exit code and the stop duration.
# Usage: npm run image:smoke [-- --help]   knobs: IMAGE_TAG (edr-preprocessor:local), SMOKE_SUBMISSIONS (300),
#   SMOKE_STOP_TIMEOUT (seconds before docker sends SIGKILL; default 75, the terminationGracePeriodSeconds of
#   docs/deploy.md)
# Exit codes: 0 passed, 1 failed, 2 usage error, 3 no Docker engine can be had here.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ "${1:-}" == "--help" || "${1:-}" == "-h" ]] && { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0; }
[[ $# -eq 0 ]] || { echo "usage: npm run image:smoke [-- --help]" >&2; exit 2; }

TAG="${IMAGE_TAG:-edr-preprocessor:local}"
SUBMISSIONS="${SMOKE_SUBMISSIONS:-300}"
STOP_TIMEOUT="${SMOKE_STOP_TIMEOUT:-75}"
say() { printf '[image:smoke] %s\n' "$*"; }
fail() {
  say "FAIL: $*"
  exit 1
}

engine_status=0
bash scripts/docker-engine.sh start >/dev/null || engine_status=$?
[[ "$engine_status" -eq 0 ]] || { say "no Docker engine (scripts/docker-engine.sh exit $engine_status)"; exit "$engine_status"; }
docker image inspect "$TAG" >/dev/null 2>&1 || fail "image $TAG not found: npm run image:build first"

# shellcheck source=scripts/lib/common.sh
source scripts/lib/common.sh
load_env
STACK_SKIP_SETUP="${STACK_SKIP_SETUP:-0}" bash scripts/stack-up.sh >/dev/null || fail "the local stack did not come up"

# Everything this run creates is named after it, so an earlier run's or another test's leftovers cannot pass or fail it.
id="image-smoke-$(date +%s)"
work="$(mktemp -d)"
containers=()
sqs_call() {
  curl -s -m 5 -X POST "$AWS_ENDPOINT_URL_SQS/" -H 'Content-Type: application/x-amz-json-1.0' \
    -H "X-Amz-Target: AmazonSQS.$1" -d "$2"
}
cleanup() {
  for c in "${containers[@]}"; do docker rm -f "$c" >/dev/null 2>&1 || true; done
  # The schedule and its open run, queues and stream of this run only.
  "$TEMPORAL_BIN" schedule delete --schedule-id "$id" --address "$TEMPORAL_ADDRESS" -n "$TEMPORAL_NAMESPACE" >/dev/null 2>&1 || true
  "$TEMPORAL_BIN" workflow terminate --workflow-id "$id-run" --reason "image smoke done" --address "$TEMPORAL_ADDRESS" \
    -n "$TEMPORAL_NAMESPACE" >/dev/null 2>&1 || true
  for q in "$id" "$id-dlq"; do sqs_call DeleteQueue "{\"QueueUrl\":\"${SQS_QUEUE_URL%/*}/$q\"}" >/dev/null 2>&1 || true; done
  curl -s -m 5 -X POST "$AWS_ENDPOINT_URL_KINESIS/" -H 'Content-Type: application/x-amz-json-1.1' \
    -H 'X-Amz-Target: Kinesis_20131202.DeleteStream' -d "{\"StreamName\":\"$id\"}" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

export SQS_QUEUE_NAME="$id" SQS_DLQ_NAME="$id-dlq" KINESIS_STREAM_NAME="$id" KINESIS_SHARD_COUNT=2
queue_base="${SQS_QUEUE_URL%/*}"
export SQS_QUEUE_URL="$queue_base/$id" SQS_DLQ_URL="$queue_base/$id-dlq"
export TEMPORAL_TASK_QUEUE="$id" SCHEDULE_ID="$id" SCHEDULE_INTERVAL=10s
"$TSX_BIN" scripts/lib/aws-stack.ts sqs >/dev/null || fail "cannot create queue $id"
"$TSX_BIN" scripts/lib/aws-stack.ts kinesis >/dev/null || fail "cannot create stream $id"

# The key as a deployment mounts a secret: a file of id:base64 pairs, owned by the container's user, mode 0400.
keys_env="$STACK_DIR/payload-keys.env"
[[ -f "$keys_env" ]] || fail "$keys_env missing (npm run stack writes it)"
sed -n 's/^PAYLOAD_KEYS=//p' "$keys_env" >"$work/payload-keys"
active_key="$(sed -n 's/^PAYLOAD_ACTIVE_KEY_ID=//p' "$keys_env")"
chown 1000:1000 "$work/payload-keys" && chmod 0400 "$work/payload-keys"

# Configuration as a deployment passes it: every variable explicit (the image sets ENV_FILES=off). No secret in it.
env_file="$work/worker.env"
for name in AWS_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_ENDPOINT_URL_SQS AWS_ENDPOINT_URL_KINESIS \
  SQS_QUEUE_URL KINESIS_STREAM_NAME TEMPORAL_ADDRESS TEMPORAL_NAMESPACE TEMPORAL_TASK_QUEUE SCHEDULE_ID \
  MAX_NUMBER_OF_MESSAGES VISIBILITY_TIMEOUT_SECONDS; do
  printf '%s=%s\n' "$name" "${!name}"
done >"$env_file"
printf 'PAYLOAD_KEYS_FILE=/keys/payload-keys\nPAYLOAD_ACTIVE_KEY_ID=%s\nMETRICS_HOST=127.0.0.1\n' \
  "$active_key" >>"$env_file"

# run_worker NAME METRICS_PORT: a detached worker container; waits until it polls (its readiness, docs/deploy.md).
run_worker() {
  local name="$1" port="$2"
  docker run -d --name "$name" --network host --read-only --tmpfs /tmp:rw,nosuid,nodev,noexec,size=16m \
    --env-file "$env_file" -e METRICS_PORT="$port" \
    -v "$work/payload-keys:/keys/payload-keys:ro" "$TAG" >/dev/null
  containers+=("$name")
  local deadline=$((SECONDS + 90))
  until docker logs "$name" 2>&1 | grep 'worker polling' >/dev/null; do
    if [[ "$(docker inspect -f '{{.State.Running}}' "$name")" != true ]] || ((SECONDS > deadline)); then
      docker logs "$name" 2>&1 | tail -20 >&2
      fail "container $name did not start polling"
    fi
    sleep 0.5
  done
  # The readiness probe of docs/deploy.md, run inside the container: the worker's pollers are up.
  ready="$(docker exec "$name" node dist/src/worker/readiness-probe.js 2>&1)" ||
    fail "container $name polls but its readiness probe says: $ready"
}

# queue_state: "N visible, N in flight" of this run's queue, from the emulator's JSON API (unsigned: local only).
# shellcheck disable=SC2016 # the single-quoted text is JavaScript, not shell
queue_state() {
  sqs_call GetQueueAttributes \
    "{\"QueueUrl\":\"$SQS_QUEUE_URL\",\"AttributeNames\":[\"ApproximateNumberOfMessages\",\"ApproximateNumberOfMessagesNotVisible\"]}" |
    node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>{const a=JSON.parse(s).Attributes??{};
      console.log(`${a.ApproximateNumberOfMessages??"?"} visible, ${a.ApproximateNumberOfMessagesNotVisible??"?"} in flight`)})'
}

fleet() {
  npx --no-install tsx tools/fleet/cli.ts --total "$SUBMISSIONS" --manifest "$1" --quiet >"$work/fleet.log" 2>&1 ||
    {
      cat "$work/fleet.log" >&2
      fail "fleet load failed"
    }
}

verify() {
  npx --no-install tsx tools/verify/cli.ts --manifest "$1" --wait --timeout 240 --quiet >"$2" 2>&1 && return 0
  cat "$2" >&2
  return 1
}

verdict_line() { printf '%s (%s; %s)' "$(grep -m1 '^RESULT:' "$1")" "$(grep -m1 '^submissions ' "$1")" "$(grep -m1 '^records ' "$1")"; }

t0=$SECONDS
say "image $TAG ($(($(docker image inspect -f '{{.Size}}' "$TAG") / 1000000)) MB); queue, stream, task queue, schedule: $id"
w1="$id-worker-1"
run_worker "$w1" 19464
say "container $w1 polling ($((SECONDS - t0)) s after docker run)"
user="$(docker exec "$w1" id)"
pid1_user="$(docker exec "$w1" sh -c 'awk "/^Uid:/ {print \$2}" /proc/1/status')"
[[ "$pid1_user" != 0 ]] || fail "the worker runs as root"
say "user: $user; the worker process (pid 1 in the container) runs as uid $pid1_user"
ro_proof="$(docker exec "$w1" sh -c 'touch /app/dist/x 2>&1; touch /usr/local/bin/x 2>&1' || true)"
grep -q 'Read-only file system' <<<"$ro_proof" || fail "the root filesystem is writable: $ro_proof"
say "read-only root: ReadonlyRootfs=$(docker inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$w1"); ${ro_proof//$'\n'/; }"
keys_proof="$(docker exec "$w1" sh -c 'ls -ln /keys/payload-keys; (: >>/keys/payload-keys) 2>&1' || true)"
say "key file: ${keys_proof//$'\n'/; }"
# grep reads the whole log (no -q): under pipefail, an early exit would SIGPIPE docker logs and fail a passing check.
docker logs "$w1" 2>&1 | grep 'payloads compressed and encrypted' >/dev/null || fail "the worker does not report encryption"

# ------------------------------------------------------------------------------------- 1. a fleet load, verified
npx --no-install tsx src/schedule/cli.ts apply >/dev/null || fail "schedule apply failed"
fleet "$work/load-1.jsonl"
npx --no-install tsx src/schedule/cli.ts trigger >/dev/null || fail "schedule trigger failed"
if ! verify "$work/load-1.jsonl" "$work/verify-1.txt"; then fail "verifier on load 1"; fi
say "load 1: $SUBMISSIONS submissions; verifier: $(verdict_line "$work/verify-1.txt")"

# ----------------------------------------------------------------- 2. SIGTERM with batches in flight, second worker
fleet "$work/load-2.jsonl"
# Signal once the worker is visibly mid-load: messages received and not yet deleted.
deadline=$((SECONDS + 60))
until state="$(queue_state)" && [[ "$state" =~ ,\ ([1-9][0-9]*)\ in\ flight ]]; do
  ((SECONDS < deadline)) || fail "load 2 never went in flight ($state)"
  sleep 0.2
done
say "SIGTERM to $w1 with $state"
stop_start="$(now_ms)"
docker stop --time "$STOP_TIMEOUT" "$w1" >/dev/null
stop_ms=$(($(now_ms) - stop_start))
exit_code="$(docker inspect -f '{{.State.ExitCode}}' "$w1")"
oom="$(docker inspect -f '{{.State.OOMKilled}}' "$w1")"
docker logs "$w1" >"$work/worker-1.log" 2>&1
say "worker 1 stopped: exit code $exit_code after $stop_ms ms (docker stop --time $STOP_TIMEOUT; OOMKilled=$oom); queue now $(queue_state)"
# The SDK logs every state change of the worker, its shutdown included: the log of a clean stop.
states="$(sed -n 's/.*"message":"Worker state changed".*"state":"\([A-Z_]*\)".*/\1/p' "$work/worker-1.log" | paste -sd' ')"
say "worker 1 states: ${states:-none logged}"
[[ "$exit_code" == 0 ]] || {
  tail -20 "$work/worker-1.log" >&2
  fail "worker 1 did not stop cleanly (exit code $exit_code)"
}
((stop_ms < STOP_TIMEOUT * 1000)) || fail "worker 1 took the whole stop timeout"

w2="$id-worker-2"
run_worker "$w2" 19465
say "container $w2 polling; finishing the queue"
cat "$work/load-1.jsonl" "$work/load-2.jsonl" >"$work/both.jsonl"
if ! verify "$work/both.jsonl" "$work/verify-2.txt"; then fail "verifier on loads 1 and 2 after the second worker"; fi
say "loads 1+2: $((2 * SUBMISSIONS)) submissions; verifier: $(verdict_line "$work/verify-2.txt")"
say "PASS in $((SECONDS - t0)) s"
