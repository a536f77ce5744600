/**
 * The verdicts `.ci/run` prints, from the reports the tools write: jest's JSON report and `npm audit --json`.
 * Pure functions (tested in test/unit/ci-verdicts.test.ts) plus a small CLI:
 *   tsx scripts/lib/ci-verdicts.ts jest <report.json>    prints "<passed> <failed>", problems on stderr
 *   tsx scripts/lib/ci-verdicts.ts audit <audit.json>    exit 0 clean, 1 findings, 2 broken output, 3 no verdict
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const count = z.number().int().min(0);

const jestReportSchema = z.looseObject({
  numTotalTests: count,
  numPassedTests: count,
  numFailedTests: count,
  numPendingTests: count,
  numTodoTests: count,
  numRuntimeErrorTestSuites: count,
});

export interface JestVerdict {
  passed: number;
  /** Failed tests, suites that could not run, and one per problem below: never 0 unless the run really passed. */
  failed: number;
  problems: string[];
}

/** `text`: the report's content, undefined when the file is missing (jest never got to write it). */
export function jestVerdict(text: string | undefined): JestVerdict {
  if (text === undefined) return { passed: 0, failed: 1, problems: ['no jest report was written'] };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { passed: 0, failed: 1, problems: ['the jest report is not JSON'] };
  }
  const parsed = jestReportSchema.safeParse(value);
  if (!parsed.success) {
    return {
      passed: 0,
      failed: 1,
      problems: [`the jest report lacks its counts (${parsed.error.issues[0]?.message})`],
    };
  }
  const r = parsed.data;
  const problems: string[] = [];
  if (r.numPassedTests + r.numFailedTests === 0) problems.push('zero tests executed');
  if (r.numPendingTests > 0) problems.push(`${r.numPendingTests} tests skipped (pending): every test must run in CI`);
  if (r.numTodoTests > 0) problems.push(`${r.numTodoTests} tests marked todo: every test must run in CI`);
  return {
    passed: r.numPassedTests,
    failed: r.numFailedTests + r.numRuntimeErrorTestSuites + problems.length,
    problems,
  };
}

export type AuditVerdict =
  | { kind: 'clean' | 'findings'; summary: string; serious: string[] }
  | { kind: 'no-verdict'; summary: string }
  | { kind: 'broken'; summary: string };

const severityCounts = z.looseObject({
  info: count.optional(),
  low: count.optional(),
  moderate: count.optional(),
  high: count,
  critical: count,
});

const auditReportSchema = z.looseObject({
  metadata: z.looseObject({ vulnerabilities: severityCounts }),
  vulnerabilities: z
    .record(z.string(), z.looseObject({ severity: z.string(), range: z.string().optional() }))
    .optional(),
});

/** npm's answer when the advisory endpoint could not be asked: an HTTP error status, or a network error code. */
const httpErrorSchema = z.looseObject({
  statusCode: z.number().int().min(400).max(599),
  message: z.string().optional(),
});
const networkErrorSchema = z.looseObject({
  error: z.looseObject({
    code: z.enum(['ENOTFOUND', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'E404', 'E405', 'E500', 'E503']),
  }),
});

/**
 * "No verdict" only when npm says the endpoint did not answer (e.g. a mirror without the audit API: 405); an empty,
 * garbled or unknown answer is broken output, which fails the gate — it could hide a finding.
 */
export function auditVerdict(text: string): AuditVerdict {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'broken', summary: `npm audit printed no JSON (${JSON.stringify(text.slice(0, 80))})` };
  }
  const report = auditReportSchema.safeParse(value);
  if (report.success) {
    const serious = Object.entries(report.data.vulnerabilities ?? {})
      .filter(([, a]) => a.severity === 'high' || a.severity === 'critical')
      .map(([name, a]) => `${a.severity}: ${name} ${a.range ?? ''}`.trim());
    const v = report.data.metadata.vulnerabilities;
    const summary = `npm audit (production dependencies): ${JSON.stringify(v)}`;
    return { kind: v.high + v.critical > 0 || serious.length > 0 ? 'findings' : 'clean', summary, serious };
  }
  const httpError = httpErrorSchema.safeParse(value);
  const networkError = networkErrorSchema.safeParse(value);
  const what = httpError.success
    ? (httpError.data.message ?? `HTTP ${httpError.data.statusCode}`)
    : networkError.success
      ? networkError.data.error.code
      : undefined;
  if (what !== undefined) {
    return { kind: 'no-verdict', summary: `npm audit: NO VERDICT, the advisory endpoint was not reachable (${what})` };
  }
  return { kind: 'broken', summary: `npm audit: unrecognised output (${JSON.stringify(text.slice(0, 120))})` };
}

const AUDIT_EXIT = { clean: 0, findings: 1, broken: 2, 'no-verdict': 3 } as const;

function readIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function main(argv: string[]): number {
  const [command, path] = argv;
  if (command === 'jest' && path) {
    const v = jestVerdict(readIfPresent(path));
    for (const problem of v.problems) console.error(`jest report: ${problem}`);
    console.log(`${v.passed} ${v.failed}`);
    return 0;
  }
  if (command === 'audit' && path) {
    const v = auditVerdict(readIfPresent(path) ?? '');
    console.log(v.summary);
    if (v.kind === 'clean' || v.kind === 'findings') for (const line of v.serious) console.log(`  ${line}`);
    return AUDIT_EXIT[v.kind];
  }
  console.error('usage: ci-verdicts.ts jest <report.json> | audit <audit.json>');
  return 2;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
