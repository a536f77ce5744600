import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const PROJECT_ROOT = resolve(__dirname, '..', '..');

/**
 * A real worker process (`node --import tsx src/worker.ts`), used by chaos (to kill it) and bench (to measure it).
 * tsx is loaded in-process, so `pid` is the worker itself (its CPU and RSS are readable from /proc), and the
 * process leads its own group, so a signal reaches anything it started too.
 */
export interface WorkerProcess {
  readonly pid: number;
  /** Resolves once the worker printed that it is polling. */
  ready: Promise<void>;
  /** SIGKILL to the whole process group: no graceful shutdown, no final heartbeat. */
  kill(): void;
  /** SIGTERM (graceful), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  output(): string;
}

/** `script`: the worker entry point, relative to the project root (a candidate build can be tried the same way). */
export function spawnWorkerProcess(env: Record<string, string>, script = 'src/worker.ts'): WorkerProcess {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start a worker process');
  let output = '';
  const exit = new Promise<void>((r) => child.once('exit', () => r()));
  const ready = new Promise<void>((resolveReady, rejectReady) => {
    const onData = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-20_000);
      if (output.includes('worker polling task queue')) resolveReady();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exit.then(() => rejectReady(new Error(`worker process exited before it was ready:\n${output.slice(-2000)}`)));
  });
  ready.catch(() => undefined);
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is already gone (ESRCH).
    }
  };
  return {
    pid,
    ready,
    kill: () => signalGroup('SIGKILL'),
    async stop(graceMs = 5_000) {
      signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
      // Anything the worker started may outlive it briefly; make sure the group is gone.
      signalGroup('SIGKILL');
    },
    output: () => output,
  };
}
