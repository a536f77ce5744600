import fc from 'fast-check';
import { fuzzCaseArb, type FuzzCase } from './cases';
import { checkBody, FuzzTally } from './check';
import { safeDetail } from '../../src/domain/detail';
import { executeCommand, parseCommandLine, stringFlag, UsageError, PROCESS_IO, type CliIo } from '../../src/cli/shell';

// `npm run fuzz [-- --cases N --seed N]`: property-based fuzzing of the validator at scale. Every case goes through
// validateSubmission and renderSubmission and is judged by the independent oracle (tools/fuzz/oracle.ts). Exits
// non-zero on any crash, any invalid submission accepted, any valid one rejected or mistransformed.
const USAGE = `usage: npm run fuzz -- [--cases N (default 100000)] [--seed N (default: random)] [--examples N (default 5)]
Exit codes: 0 PASS, 1 FAIL (a problem found, or an error), 2 usage error.`;

interface Args {
  cases: number;
  seed: number;
  examples: number;
}

function nonNegativeInteger(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new UsageError(`--${flag} needs a non-negative integer`);
  return value;
}

function parseFuzzArgs(argv: string[]): Args {
  const { values } = parseCommandLine(argv, {
    cases: { type: 'string' },
    seed: { type: 'string' },
    examples: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  return {
    cases: nonNegativeInteger('cases', stringFlag(values, 'cases'), 100_000),
    seed: nonNegativeInteger('seed', stringFlag(values, 'seed'), Math.floor(Math.random() * 2 ** 31)),
    examples: nonNegativeInteger('examples', stringFlag(values, 'examples'), 5),
  };
}

const CHUNK = 1000;

function* cases(total: number, seed: number): Generator<FuzzCase> {
  // Chunks keep memory flat; each chunk's seed is derived from the run's, so a run is reproducible from --seed.
  for (let done = 0, chunk = 0; done < total; chunk++) {
    const size = Math.min(CHUNK, total - done);
    yield* fc.sample(fuzzCaseArb, { numRuns: size, seed: (seed + chunk * 7919) | 0 });
    done += size;
  }
}

function run(argv: string[]): number {
  const args = parseFuzzArgs(argv);
  const tally = new FuzzTally();
  const byKind = new Map<string, { cases: number; accepted: number }>();
  const started = process.hrtime.bigint();
  let lastReport = Date.now();
  for (const fuzzCase of cases(args.cases, args.seed)) {
    const result = checkBody(fuzzCase.body, fuzzCase.limits, fuzzCase.options, fuzzCase.kind === 'valid');
    tally.add(result, fuzzCase.body, fuzzCase.labels, args.examples);
    const kind = byKind.get(fuzzCase.kind) ?? { cases: 0, accepted: 0 };
    kind.cases++;
    if (result.accepted) kind.accepted++;
    byKind.set(fuzzCase.kind, kind);
    if (Date.now() - lastReport > 5000) {
      lastReport = Date.now();
      console.error(`… ${tally.cases} / ${args.cases} cases, ${tally.failures} failures`);
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  const lines = [
    `fuzz: seed ${args.seed}, ${tally.cases} cases in ${seconds.toFixed(1)} s (${Math.round(tally.cases / seconds)} cases/s)`,
    `  by kind: ${[...byKind].map(([kind, c]) => `${kind} ${c.cases} (${c.accepted} accepted)`).join(', ')}`,
    `  accepted: ${tally.accepted}`,
    `  rejected: ${tally.cases - tally.accepted}`,
    ...[...tally.rejectedByReason].sort((a, b) => b[1] - a[1]).map(([reason, count]) => `    ${reason}: ${count}`),
    `  crashes: ${tally.problemsByKind.get('crash') ?? 0}`,
    `  invalid accepted: ${tally.problemsByKind.get('invalid-accepted') ?? 0}`,
    `  valid rejected: ${tally.problemsByKind.get('valid-rejected') ?? 0}`,
    `  wrong output: ${tally.problemsByKind.get('wrong-output') ?? 0}`,
    `  bad verdicts (reason/detail): ${tally.problemsByKind.get('bad-verdict') ?? 0}`,
  ];
  console.log(lines.join('\n'));
  for (const example of tally.examples) {
    console.log(
      `  example ${example.problem.kind} [${example.labels.join(', ')}]: ${safeDetail(example.problem.message, 400)}\n` +
        `    body (${example.body.length} chars): ${safeDetail(example.body, 400)}`,
    );
  }
  const ok = tally.failures === 0;
  console.log(ok ? 'fuzz: PASS' : `fuzz: FAIL (${tally.failures} problems; rerun with --seed ${args.seed})`);
  return ok ? 0 : 1;
}

/** The whole command as a function (tests call it in-process); exit code as the result. */
export function runFuzzCli(argv: string[], io: CliIo = PROCESS_IO): Promise<number> {
  return executeCommand(USAGE, (args) => Promise.resolve(run(args)), argv, io);
}

if (require.main === module) {
  void runFuzzCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
