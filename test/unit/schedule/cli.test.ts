import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { resolve } from 'node:path';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, executeCommand, OperatorError, UsageError } from '../../../src/cli/shell';
import { parseTuningFlags, TUNING_FLAGS_HELP } from '../../../src/schedule/tune';
import { runScheduleCli } from '../../../src/schedule/cli';
import { RUN_INPUT_FLAGS } from '../../../src/schedule/run-input-flags';
import { drainInputSchema } from '../../../workflows/drain-input';

jest.setTimeout(60_000);

const ROOT = resolve(__dirname, '../../..');
const TSX = resolve(ROOT, 'node_modules/.bin/tsx');

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** In-process, with the environment pointed at the stand-in Temporal. */
async function runInProcess(args: string[], temporalAddress: string): Promise<Outcome> {
  const saved = { ...process.env };
  Object.assign(process.env, { TEMPORAL_ADDRESS: temporalAddress, ENV_FILES: 'off' });
  let stdout = '';
  let stderr = '';
  try {
    const code = await runScheduleCli(args, { out: (t) => (stdout += `${t}\n`), err: (t) => (stderr += `${t}\n`) });
    return { code, stdout, stderr };
  } finally {
    process.env = saved;
  }
}

/** The real entry point, as npm runs it. */
function spawnScheduleCli(args: string[], temporalAddress: string): Promise<Outcome> {
  return new Promise((done, fail) => {
    const child = spawn(TSX, ['src/schedule/cli.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, TEMPORAL_ADDRESS: temporalAddress, ENV_FILES: 'off' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('the schedule CLI never acts on --help and rejects what it does not know', () => {
  // A TCP listener standing in for Temporal: any connection to it means the command acted.
  let server: Server;
  let connections = 0;
  let address = '';
  beforeAll(async () => {
    server = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const bound = server.address();
    address = `127.0.0.1:${typeof bound === 'object' && bound ? bound.port : 0}`;
  });
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  const commands = ['apply', 'describe', 'pause', 'unpause', 'trigger', 'update'];

  it.each(commands)('%s --help prints its usage, exits 0 and connects to nothing', async (command) => {
    const before = connections;
    const outcome = await runInProcess([command, '--help'], address);
    expect(outcome.code).toBe(EXIT_OK);
    expect(outcome.stdout).toContain(`npm run schedule -- ${command}`);
    expect(connections).toBe(before);
  });

  it.each([
    ['apply', '--force'],
    ['pause', '--resaon'],
    ['trigger', 'now'],
    ['update', '--lanse'],
  ])('%s %s is a usage error (exit 2, usage shown) and connects to nothing', async (command, flag) => {
    const before = connections;
    const outcome = await runInProcess([command, flag], address);
    expect(outcome.code).toBe(EXIT_USAGE);
    expect(outcome.stderr).toContain(`npm run schedule -- ${command}`);
    expect(connections).toBe(before);
  });

  it('an unknown or missing command prints the command list (exit 2)', async () => {
    const unknown = await runInProcess(['start'], address);
    expect(unknown.code).toBe(EXIT_USAGE);
    expect(unknown.stderr).toMatch(/unknown command: start[\s\S]*apply[\s\S]*update/);
    expect((await runInProcess([], address)).code).toBe(EXIT_USAGE);
    expect((await runInProcess(['--help'], address)).code).toBe(EXIT_OK);
  });

  it('the npm entry point behaves the same: trigger --help exits 0 without connecting, a bad flag exits 2', async () => {
    const before = connections;
    const help = await spawnScheduleCli(['trigger', '--help'], address);
    expect(help.code).toBe(EXIT_OK);
    expect(help.stdout).toContain('npm run schedule -- trigger');
    const bad = await spawnScheduleCli(['trigger', '--now'], address);
    expect(bad.code).toBe(EXIT_USAGE);
    expect(connections).toBe(before);
  });

  it('a real command does connect (so the checks above would see it acting)', async () => {
    const before = connections;
    const outcome = await runInProcess(['describe'], address);
    expect(outcome.code).toBe(EXIT_FAILED);
    expect(connections).toBeGreaterThan(before);
  });
});

describe('executeCommand', () => {
  const io = () => {
    const lines = { out: [] as string[], err: [] as string[] };
    return { lines, io: { out: (t: string) => lines.out.push(t), err: (t: string) => lines.err.push(t) } };
  };

  it('maps usage errors to 2, operator errors to 1 without a stack, and returns the code of main', async () => {
    const a = io();
    const main = jest.fn(async () => 0);
    expect(await executeCommand('USAGE', main, ['-h'], a.io)).toBe(EXIT_OK);
    expect(main).not.toHaveBeenCalled();
    expect(a.lines.out).toEqual(['USAGE']);

    const b = io();
    const usage = async () => Promise.reject(new UsageError('unknown flag --x'));
    expect(await executeCommand('USAGE', usage, [], b.io)).toBe(EXIT_USAGE);
    expect(b.lines.err[0]).toBe('unknown flag --x\n\nUSAGE');

    const c = io();
    const operator = async () => Promise.reject(new OperatorError('queue not found'));
    expect(await executeCommand('USAGE', operator, [], c.io)).toBe(EXIT_FAILED);
    expect(c.lines.err).toEqual(['queue not found']);

    expect(await executeCommand('USAGE', async () => 1, [], io().io)).toBe(EXIT_FAILED);
  });
});

describe('schedule update flags', () => {
  it('parses flags into a tuning, rejecting bad values with a readable message', () => {
    const parsed = parseTuningFlags(['--interval', '15s', '--max-messages', '5', '--lanes', '4']);
    expect(parsed.tuning.intervalMs).toBe(15_000);
    expect(parsed.tuning.input).toEqual({ maxNumberOfMessages: 5, lanes: 4 });
    expect(parsed.dryRun).toBe(false);
    expect(parseTuningFlags(['--visibility-timeout', '180', '--dry-run']).dryRun).toBe(true);
    expect(parseTuningFlags(['--partition-key', 'submission_id']).tuning.input).toEqual({
      partitionKey: 'submission_id',
    });
    expect(parseTuningFlags(['--include-provenance', 'true']).tuning.input).toEqual({ includeProvenance: true });
    expect(() => parseTuningFlags(['--interval', '15 seconds'])).toThrow(/--interval must be a duration/);
    expect(() => parseTuningFlags(['--lanes', 'four'])).toThrow(/--lanes must be a whole number/);
    expect(() => parseTuningFlags(['--partition-key', 'user'])).toThrow(/must be one of device_id, submission_id/);
    expect(() => parseTuningFlags(['--lanse', '4'])).toThrow(UsageError);
    expect(() => parseTuningFlags([])).toThrow(/nothing to change/);
  });

  it('has one flag per scalar run-input key, with the range the schema enforces in its help', () => {
    // batchByteBudget is retired (accepted, ignored): no flag sets it.
    const scalarKeys = drainInputSchema.keyof().options.filter((key) => {
      if (key === 'batchByteBudget') return false;
      const kind = drainInputSchema.shape[key].unwrap();
      return ['number', 'boolean', 'enum'].includes(kind.def.type);
    });
    expect(RUN_INPUT_FLAGS.map((f) => f.key).sort()).toEqual([...scalarKeys].sort());
    expect(TUNING_FLAGS_HELP).toContain('--max-messages N            run input maxNumberOfMessages (1–10)');
    expect(TUNING_FLAGS_HELP).toContain('--receives-per-batch N      run input receivesPerBatch (1–100)');
    expect(TUNING_FLAGS_HELP).not.toContain('batch-byte-budget');
  });
});
