import fc from 'fast-check';
import { fuzzCaseArb, type FuzzCase } from './cases';
import { checkBody, FuzzTally } from './check';
import { safeDetail } from '../domain/detail';

// `npm run fuzz [-- --cases N --seed N]`: property-based fuzzing of the validator at scale. Every case goes through
// validateSubmission and transformSubmission and is judged by the independent oracle (src/fuzz/oracle.ts). Exits
// non-zero on any crash, any invalid submission accepted, any valid one rejected or mistransformed.
const USAGE = `usage: npm run fuzz -- [--cases N (default 100000)] [--seed N (default: random)] [--examples N (default 5)]`;

interface Args {
  cases: number;
  seed: number;
  examples: number;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { cases: 100_000, seed: Math.floor(Math.random() * 2 ** 31), examples: 5 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    const value = Number(argv[++i]);
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${flag} needs a non-negative integer\n${USAGE}`);
    if (flag === '--cases') args.cases = value;
    else if (flag === '--seed') args.seed = value;
    else if (flag === '--examples') args.examples = value;
    else throw new Error(`unknown option ${flag}\n${USAGE}`);
  }
  return args;
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

function run(): number {
  const args = parseArgs(process.argv.slice(2));
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

try {
  process.exitCode = run();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 2;
}
