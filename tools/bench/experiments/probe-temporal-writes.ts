import { Connection } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { loadEnvFiles } from '../../../src/config/env-files';
import { percentile } from '../stats';

const HELP = `npx tsx tools/bench/experiments/probe-temporal-writes.ts [writes=50]

Times the Temporal server's history writes (bottleneck probe, docs/local-stack.md "SQLite settings"): starts a
workflow on a task queue nobody polls and terminates it, one after the other, and prints the median and p90 of each
call. Every activity or workflow task of a run pays such writes on its way (scheduled, started, completed). Uses
TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE (.env.example, .env); the workflows it starts are terminated at once.
`;

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    process.stdout.write(HELP);
    return;
  }
  loadEnvFiles();
  const writes = Number(process.argv[2] ?? 50);
  if (!Number.isInteger(writes) || writes < 1)
    throw new Error(`writes must be a positive integer, got ${process.argv[2]}`);
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
  const service = connection.workflowService;
  const starts: number[] = [];
  const terminations: number[] = [];
  try {
    for (let i = 0; i < writes; i++) {
      const workflowId = `probe-writes-${randomUUID()}`;
      let t0 = performance.now();
      await service.startWorkflowExecution({
        namespace,
        workflowId,
        workflowType: { name: 'probeNobodyRunsThis' },
        taskQueue: { name: `probe-writes-unpolled` },
        requestId: randomUUID(),
      });
      starts.push(performance.now() - t0);
      t0 = performance.now();
      await service.terminateWorkflowExecution({ namespace, workflowExecution: { workflowId }, reason: 'probe' });
      terminations.push(performance.now() - t0);
    }
  } finally {
    await connection.close();
  }
  console.log(`${writes} × start: ${describe(starts)}; terminate: ${describe(terminations)}`);
}

function describe(ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  return `median ${percentile(sorted, 50).toFixed(1)} ms, p90 ${percentile(sorted, 90).toFixed(1)} ms`;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
