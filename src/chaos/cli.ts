import { parseArgs } from 'node:util';
import { loadEnvFiles } from '../env-files';
import { runScenario, type ChaosResult } from './runner';
import { SCENARIOS, scenarioByName } from './scenarios';

const USAGE = `npm run chaos -- [--submissions 10000] [--scenario <name>]... [--seed N] [--timeout-minutes 30]
                     [--worker-script src/worker.ts]

Runs the chaos scenarios against the local stack (npm run stack): a fleet load, real workers whose SQS and Kinesis
clients go through a fault-injecting proxy, drain runs until the queue is empty, then the verifier. Prints a table.
Scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`;

async function run(): Promise<void> {
  loadEnvFiles();
  const { values } = parseArgs({
    options: {
      submissions: { type: 'string', default: '10000' },
      scenario: { type: 'string', multiple: true },
      seed: { type: 'string', default: '20261128' },
      'timeout-minutes': { type: 'string', default: '30' },
      'worker-script': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const submissions = Number(values.submissions);
  if (!Number.isInteger(submissions) || submissions < 1) throw new Error(`--submissions must be a positive integer`);
  const names = values.scenario ?? SCENARIOS.map((s) => s.name);
  const scenarios = names.map((name) => {
    const scenario = scenarioByName(name);
    if (!scenario) throw new Error(`unknown scenario "${name}"\n\n${USAGE}`);
    return scenario;
  });

  const results: ChaosResult[] = [];
  for (const scenario of scenarios) {
    console.log(`\n▶ ${scenario.name}: ${scenario.title}`);
    const result = await runScenario(scenario, {
      submissions,
      seed: Number(values.seed),
      timeoutMs: Number(values['timeout-minutes']) * 60_000,
      workerScript: values['worker-script'],
      log: (message) => console.log(`  ${new Date().toISOString().slice(11, 19)} ${message}`),
    });
    results.push(result);
    console.log(formatTable([result]));
  }
  console.log('\nSummary');
  console.log(formatTable(results));
  if (results.some((r) => !r.ok)) process.exitCode = 1;
}

const COLUMNS: [string, (r: ChaosResult) => string][] = [
  ['scenario', (r) => r.scenario],
  ['sent', (r) => String(r.sent)],
  ['valid', (r) => String(r.valid)],
  ['events', (r) => String(r.expectedEvents)],
  ['published', (r) => String(r.published)],
  ['dup (same id)', (r) => String(r.duplicatesSameId)],
  ['dup (other id)', (r) => String(r.duplicatesDifferentId)],
  ['lost', (r) => String(r.lost)],
  ['reordered', (r) => String(r.reordered)],
  ['leaked', (r) => String(r.leaked)],
  ['redelivered', (r) => String(r.redelivered)],
  ['queue left', (r) => String(r.queue.visible + r.queue.notVisible + r.queue.delayed)],
  ['runs (failed)', (r) => `${r.runs} (${r.failedRuns})`],
  ['drain after fault', (r) => `${(r.drainAfterFaultMs / 1000).toFixed(1)} s`],
  ['total', (r) => `${(r.totalMs / 1000).toFixed(1)} s`],
  ['verdict', (r) => (r.ok ? 'PASS' : 'FAIL')],
];

export function formatTable(results: readonly ChaosResult[]): string {
  const rows = [COLUMNS.map(([h]) => h), ...results.map((r) => COLUMNS.map(([, f]) => f(r)))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]): string => `| ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const [header, ...body] = rows;
  const injected = results.flatMap((r) => [
    `  ${r.scenario} injected: ${r.injected.map((i) => `${i.proxy}/${i.rule} ${i.injected}`).join(', ') || '(see log)'}` +
      (r.downRejections > 0 ? `, ${r.downRejections} connections reset while down` : ''),
    `  ${r.scenario} fault hit work in flight: ${r.evidence.map((e) => `${e.label} ${e.value}`).join(', ') || '(no evidence)'}`,
    ...r.problems.map((p) => `  ${r.scenario} FAIL: ${p}`),
  ]);
  return [
    line(header ?? []),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...body.map(line),
    ...injected,
  ].join('\n');
}

if (require.main === module) {
  run().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
