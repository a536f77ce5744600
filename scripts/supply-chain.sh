#!/usr/bin/env bash
# Supply-chain gate (CI): every direct dependency pinned to an exact version, and `npm audit` of the production
# dependencies with no high or critical advisory.
# Exit 0: clean. Exit 1: a finding (unpinned dependency or advisory). Exit 2: npm audit's output is empty, garbled or
# unknown (broken: never taken for "no verdict", it could hide a finding). Exit 3: npm says the advisory endpoint could
# not be reached (an HTTP error status such as a mirror's 405, or a network error): no verdict, said loudly, the pins
# are still checked.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

node -e '
  const pkg = require("./package.json");
  const loose = Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })
    .filter(([, v]) => !/^\d+\.\d+\.\d+$/.test(v));
  if (loose.length) {
    console.error("unpinned dependencies (exact x.y.z required):", loose.map(([n, v]) => `${n}@${v}`).join(", "));
    process.exit(1);
  }
  console.log(`pins: ${Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).length} direct dependencies, all exact`);
' || exit 1

report="$(mktemp)"
trap 'rm -f "$report"' EXIT
npm audit --omit=dev --audit-level=high --json >"$report" 2>/dev/null
# Exit 0 clean, 1 findings, 2 broken output (empty, garbled, unknown: fails the gate), 3 no verdict.
npx --no-install tsx scripts/lib/ci-verdicts.ts audit "$report"
