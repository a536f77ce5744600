#!/usr/bin/env bash
# Supply-chain gate (CI): every direct dependency pinned to an exact version, and `npm audit` of the production
# dependencies with no high or critical advisory.
# Exit 0: clean. Exit 1: a finding (unpinned dependency or advisory). Exit 3: the advisory endpoint could not be
# reached (e.g. a registry mirror without the audit API): no verdict, said loudly, the pins are still checked.
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
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8") || "{}");
  const v = r.metadata && r.metadata.vulnerabilities;
  if (!v) {
    console.log(`npm audit: NO VERDICT, the advisory endpoint answered ${r.statusCode ?? "nothing"} (${r.message ?? "no report"})`);
    process.exit(3);
  }
  const serious = (v.high ?? 0) + (v.critical ?? 0);
  console.log(`npm audit (production dependencies): ${JSON.stringify(v)}`);
  for (const [name, a] of Object.entries(r.vulnerabilities ?? {}))
    if (a.severity === "high" || a.severity === "critical") console.log(`  ${a.severity}: ${name} ${a.range}`);
  process.exit(serious > 0 ? 1 : 0);
' "$report"
