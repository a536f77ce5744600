#!/usr/bin/env bash
# A Docker engine for the image build and smoke (scripts/image-build.sh, scripts/image-smoke.sh, .ci/run).
# Usage: bash scripts/docker-engine.sh [start|stop|--help]
#   start (default)  uses a running engine, or installs Debian's docker.io (root only) and starts
#                    `dockerd --bridge=none --iptables=false --ip-masq=false` in the background
#                    (log and pid in $DOCKERD_STATE_DIR, default /tmp/edr-dockerd)
#   stop             stops the engine only if this script started it (its pid file); any other engine is left alone
# Exit codes: 0 engine ready (or stopped), 1 an engine was installed but did not come up, 2 usage error,
#   3 no engine can be had here (not root, or docker.io not installable): callers skip with a warning.
# No bridge network and no NAT rules: containers run with --network host and reach only what the host reaches.
set -euo pipefail

STATE_DIR="${DOCKERD_STATE_DIR:-/tmp/edr-dockerd}"
PID_FILE="$STATE_DIR/dockerd.pid"
LOG_FILE="$STATE_DIR/dockerd.log"
READY_SECONDS="${DOCKERD_READY_SECONDS:-60}"

say() { printf '[docker-engine] %s\n' "$*"; }
engine_up() { docker info >/dev/null 2>&1; }

start() {
  mkdir -p "$STATE_DIR"
  if command -v docker >/dev/null 2>&1 && engine_up; then
    say "engine ready: $(docker version --format 'server {{.Server.Version}}' 2>/dev/null)"
    return 0
  fi
  if ! command -v dockerd >/dev/null 2>&1; then
    if [[ "$(id -u)" -ne 0 ]]; then
      say "no Docker engine and not root: cannot install docker.io here"
      return 3
    fi
    # The package's own service must not start (there is no init here, and its default would add a bridge and NAT
    # rules): policy-rc.d exit 101 = "action forbidden".
    local policy=/usr/sbin/policy-rc.d added_policy=0
    if [[ ! -e "$policy" ]]; then
      printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && added_policy=1
    fi
    say "installing docker.io (Debian package)"
    local installed=0
    if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io) >"$STATE_DIR/apt.log" 2>&1; then
      installed=1
    fi
    [[ "$added_policy" == 1 ]] && rm -f "$policy"
    if [[ "$installed" != 1 ]] || ! command -v dockerd >/dev/null 2>&1; then
      say "docker.io could not be installed (apt log: $STATE_DIR/apt.log)"
      tail -5 "$STATE_DIR/apt.log" >&2 || true
      return 3
    fi
  fi
  if ! command -v docker >/dev/null 2>&1; then
    say "dockerd is installed but the docker client is not"
    return 3
  fi
  if [[ "$(id -u)" -ne 0 ]]; then
    say "dockerd is installed but not running, and only root can start it"
    return 3
  fi
  say "starting dockerd --bridge=none --iptables=false --ip-masq=false (log $LOG_FILE)"
  # Descriptors 3-19 closed: the engine outlives this script and must not keep what its caller held open (a lock
  # taken with flock around the smoke would otherwise stay held for as long as the engine runs).
  setsid nohup dockerd --bridge=none --iptables=false --ip-masq=false >"$LOG_FILE" 2>&1 </dev/null 3>&- 4>&- 5>&- \
    6>&- 7>&- 8>&- 9>&- 10>&- 11>&- 12>&- 13>&- 14>&- 15>&- 16>&- 17>&- 18>&- 19>&- &
  echo $! >"$PID_FILE"
  local deadline=$((SECONDS + READY_SECONDS))
  until engine_up; do
    if ! kill -0 "$(cat "$PID_FILE")" 2>/dev/null || ((SECONDS > deadline)); then
      say "dockerd did not come up; end of its log:"
      tail -20 "$LOG_FILE" >&2 || true
      return 1
    fi
    sleep 0.5
  done
  say "engine ready: $(docker version --format 'server {{.Server.Version}}' 2>/dev/null) (pid $(cat "$PID_FILE"))"
}

stop() {
  [[ -f "$PID_FILE" ]] || {
    say "no engine started by this script"
    return 0
  }
  local pid
  pid="$(cat "$PID_FILE")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    # dockerd stops its containers and its containerd child first; wait for it rather than leave them behind.
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && say "dockerd (pid $pid) still running after 30 s" && return 1
  fi
  rm -f "$PID_FILE"
  say "engine stopped (pid $pid)"
}

case "${1:-start}" in
  -h | --help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' ;;
  start) start ;;
  stop) stop ;;
  *)
    echo "usage: bash scripts/docker-engine.sh [start|stop|--help]" >&2
    exit 2
    ;;
esac
