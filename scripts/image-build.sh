#!/usr/bin/env bash
# npm run image:build: builds the Dockerfile's `runtime` target (the production worker image) as it is, with
# `docker build --network host` (no bridge network: every network use goes through the host), and prints its size.
# When the base image node:20-bookworm-slim is not present and cannot be pulled, scripts/make-base-image.sh makes it
# first from Debian's packages and the npm registry. Starts an engine if needed (scripts/docker-engine.sh).
# Usage: npm run image:build [-- --help]      image name: IMAGE_TAG (default edr-preprocessor:local)
# Exit codes: 0 built, 1 failed, 2 usage error, 3 no Docker engine can be had here.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ "${1:-}" == "--help" || "${1:-}" == "-h" ]] && { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0; }
[[ $# -eq 0 ]] || { echo "usage: npm run image:build [-- --help]" >&2; exit 2; }

TAG="${IMAGE_TAG:-edr-preprocessor:local}"
BASE="$(sed -n 's/^FROM \([^ ]*\) AS runtime$/\1/p' Dockerfile)"
say() { printf '[image:build] %s\n' "$*"; }
[[ -n "$BASE" ]] || { say "Dockerfile has no 'FROM <image> AS runtime' line"; exit 1; }

engine_status=0
bash scripts/docker-engine.sh start || engine_status=$?
[[ "$engine_status" -eq 0 ]] || exit "$engine_status"

t0=$SECONDS
if docker image inspect "$BASE" >/dev/null 2>&1; then
  say "base image $BASE present ($(docker image inspect -f '{{.Comment}}' "$BASE" | cut -c1-100))"
else
  # A registry pull is not attempted: none is reachable from these machines, and the pull would only time out.
  say "base image $BASE not present: making it locally"
  BASE_IMAGE_TAG="$BASE" bash scripts/make-base-image.sh
fi

say "docker build --network host --target runtime -t $TAG ."
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# The legacy builder (the engine's own, no buildx plugin here) reads the context as it is on disk; .dockerignore
# keeps node_modules, dist/, .stack/ and .env out of it.
if ! DOCKER_BUILDKIT=0 docker build --network host --target runtime -t "$TAG" . >"$log" 2>&1; then
  tail -40 "$log" >&2
  say "FAIL: docker build failed (full log above, last 40 lines)"
  exit 1
fi
grep -E '^Step [0-9]+/[0-9]+ : ' "$log" | sed 's/^/  /'

size="$(docker image inspect -f '{{.Size}}' "$TAG")"
base_size="$(docker image inspect -f '{{.Size}}' "$BASE")"
say "built $TAG in $((SECONDS - t0)) s: $((size / 1000000)) MB" \
  "($((base_size / 1000000)) MB base $BASE + $(((size - base_size) / 1000000)) MB production dependencies and dist/)"
