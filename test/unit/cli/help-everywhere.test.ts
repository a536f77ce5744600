import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';
import { EXIT_OK, EXIT_USAGE, type CliIo } from '../../../src/cli/shell';
// Replaced by a spy below (jest.mock is hoisted above the imports): a command that started would load .env first.
import { loadEnvFiles } from '../../../src/config/env-files';

// Every TypeScript command behind `npm run <script>` answers `--help` with its usage and does nothing else, and
// rejects an unknown flag with the usage and exit 2 (docs/operations.md, "Commands"). In-process: spawning a dozen
// tsx processes takes minutes on a loaded machine; the entry points are the same functions the files' mains call.

jest.mock('../../../src/config/env-files', () => ({
  ...jest.requireActual<object>('../../../src/config/env-files'),
  loadEnvFiles: jest.fn(),
}));

jest.setTimeout(60_000);

const ROOT = resolve(__dirname, '../../..');

type Runner = (argv: string[], io: CliIo) => Promise<number>;

/** The in-process entry point of every file a TypeScript script runs; loaded lazily (some pull in the SDK). */
const ENTRY_POINTS: Record<string, () => Promise<Runner>> = {
  'src/schedule/cli.ts': async () => (await import('../../../src/schedule/cli')).runScheduleCli,
  'src/dlq/cli.ts': async () => (await import('../../../src/dlq/cli')).runDlqCli,
  'tools/fleet/cli.ts': async () => (await import('../../../tools/fleet/cli')).runFleetCli,
  'tools/verify/cli.ts': async () => (await import('../../../tools/verify/cli')).runVerifyCli,
  'tools/chaos/cli.ts': async () => (await import('../../../tools/chaos/cli')).runChaosCli,
  'tools/bench/cli.ts': async () => (await import('../../../tools/bench/cli')).runBenchCli,
  'tools/fuzz/cli.ts': async () => (await import('../../../tools/fuzz/cli')).runFuzzCli,
  'src/codec/cli.ts': async () => (await import('../../../src/codec/cli')).runCodecServerCli,
  'src/worker.ts': async () => (await import('../../../src/worker')).runWorkerCli,
  'tools/replay/record-histories.ts': async () =>
    (await import('../../../tools/replay/record-histories')).runRecordHistoriesCli,
};

interface TsxScript {
  script: string;
  file: string;
  /** Arguments the script itself passes before the user's (`schedule:apply` passes `apply`). */
  fixedArgs: string[];
}

function tsxScripts(): TsxScript[] {
  const pkg = z
    .object({ scripts: z.record(z.string(), z.string()) })
    .parse(JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')));
  return Object.entries(pkg.scripts).flatMap(([script, command]) => {
    const match = /^tsx (\S+\.ts)((?: \S+)*)$/.exec(command);
    if (!match) return [];
    return [{ script, file: match[1] ?? '', fixedArgs: (match[2] ?? '').split(' ').filter((a) => a !== '') }];
  });
}

interface Captured {
  code: number;
  out: string;
  err: string;
  /** Anything the command wrote around the shell's io: a command that started would log. */
  stray: number;
  connections: number;
}

async function runCaptured(runner: Runner, argv: string[]): Promise<Captured> {
  let out = '';
  let err = '';
  const stray = [
    jest.spyOn(console, 'log').mockImplementation(() => undefined),
    jest.spyOn(console, 'error').mockImplementation(() => undefined),
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true),
    jest.spyOn(process.stderr, 'write').mockImplementation(() => true),
  ];
  const connect = jest.spyOn(Socket.prototype, 'connect');
  try {
    const code = await runner(argv, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
    return {
      code,
      out,
      err,
      stray: stray.reduce((n, spy) => n + spy.mock.calls.length, 0),
      connections: connect.mock.calls.length,
    };
  } finally {
    for (const spy of [...stray, connect]) spy.mockRestore();
  }
}

const scripts = tsxScripts();

describe('every TypeScript npm script', () => {
  beforeEach(() => jest.mocked(loadEnvFiles).mockClear());

  it('has an in-process entry point here (a new script must be added to this test)', () => {
    expect(scripts.length).toBeGreaterThanOrEqual(Object.keys(ENTRY_POINTS).length);
    expect(scripts.filter((s) => ENTRY_POINTS[s.file] === undefined).map((s) => s.script)).toEqual([]);
  });

  it.each(scripts)('npm run $script -- --help prints the usage and does nothing', async ({ file, fixedArgs }) => {
    const load = ENTRY_POINTS[file];
    if (!load) throw new Error(`no entry point for ${file}`);
    const result = await runCaptured(await load(), [...fixedArgs, '--help']);
    expect(result.code).toBe(EXIT_OK);
    expect(result.out).toMatch(/npm run|usage/i);
    expect(result.err).toBe('');
    expect(result.stray).toBe(0);
    expect(result.connections).toBe(0);
    expect(loadEnvFiles).not.toHaveBeenCalled();
  });

  it.each(scripts)('npm run $script -- --no-such-flag prints the usage and exits 2', async ({ file, fixedArgs }) => {
    const load = ENTRY_POINTS[file];
    if (!load) throw new Error(`no entry point for ${file}`);
    const result = await runCaptured(await load(), [...fixedArgs, '--no-such-flag']);
    expect(result.code).toBe(EXIT_USAGE);
    expect(result.err).toMatch(/no-such-flag/);
    expect(result.err).toMatch(/npm run|usage/i);
    expect(result.connections).toBe(0);
    expect(loadEnvFiles).not.toHaveBeenCalled();
  });
});
