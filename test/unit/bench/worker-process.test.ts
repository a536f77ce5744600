import { processCpuMs } from '../../../tools/bench/stack';
import { spawnWorkerProcess } from '../../../tools/stack/worker-process';

// The bench's 2-worker configuration sums the second worker's CPU from /proc/<pid>: that pid must be the process
// that runs the worker code, not a launcher in front of it (tsx's CLI runs the script in a child process).
const FAKE_WORKER = 'test/unit/bench/fixtures/fake-worker.ts';

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('spawnWorkerProcess', () => {
  it('reports the pid of the process that runs the worker script, whose CPU is readable', async () => {
    const worker = spawnWorkerProcess({}, FAKE_WORKER);
    try {
      await worker.ready;
      expect(worker.output()).toContain(`pid ${worker.pid}\n`);
      expect(Number.isFinite(processCpuMs(worker.pid))).toBe(true);
    } finally {
      await worker.stop();
    }
  }, 30_000);

  it('stops the worker and leaves no process behind', async () => {
    const worker = spawnWorkerProcess({}, FAKE_WORKER);
    await worker.ready;
    await worker.stop();
    expect(isAlive(worker.pid)).toBe(false);
  }, 30_000);
});
