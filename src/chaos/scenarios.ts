import type { FaultRule } from './proxy';
import type { ChaosContext, Scenario } from './runner';

// The chaos scenarios of issue 4 (docs/reliability.md). Fault windows scale with the load between a CI floor and the
// full-size length.

const windowMs = (ctx: ChaosContext, ciMs: number, fullMs: number): number =>
  Math.round(Math.min(fullMs, Math.max(ciMs, fullMs * ctx.scale)));

const SQS_OPS = ['ReceiveMessage', 'DeleteMessageBatch', 'ChangeMessageVisibilityBatch'];

export const putRecordsPartialFailures: Scenario = {
  name: 'putrecords-faults',
  title: '20 % of PutRecords entries failing, plus request throttles, 5xx, hangs and resets',
  async inject(ctx) {
    const durationMs = windowMs(ctx, 30_000, 120_000);
    const limit = { durationMs };
    const kinesis: FaultRule[] = [
      {
        operations: ['PutRecords'],
        fault: {
          kind: 'putRecordsEntries',
          entries: { mode: 'rate', rate: 0.2, seed: 42 },
          errorCodes: ['ProvisionedThroughputExceededException', 'InternalFailure'],
        },
        limit,
      },
      {
        operations: ['PutRecords'],
        requests: { mode: 'rate', rate: 0.05, seed: 1 },
        fault: { kind: 'throttle' },
        limit,
      },
      {
        operations: ['PutRecords'],
        requests: { mode: 'rate', rate: 0.03, seed: 2 },
        fault: { kind: 'serverError', status: 500 },
        limit,
      },
      {
        operations: ['PutRecords'],
        requests: { mode: 'rate', rate: 0.03, seed: 3 },
        fault: { kind: 'serverError', status: 503 },
        limit,
      },
      // The request lands, the answer never comes: unknown outcome, a retry makes duplicates with the same event_id.
      {
        operations: ['PutRecords'],
        requests: { mode: 'every', n: 40 },
        fault: { kind: 'hang', maxHangMs: 8_000, phase: 'after' },
        limit: { durationMs, count: 3 },
      },
      {
        operations: ['PutRecords'],
        requests: { mode: 'every', n: 50, offset: 20 },
        fault: { kind: 'reset', phase: 'after' },
        limit: { durationMs, count: 3 },
      },
      {
        operations: ['PutRecords'],
        requests: { mode: 'rate', rate: 0.1, seed: 4 },
        fault: { kind: 'latency', ms: 300 },
        limit,
      },
      // Every answer a lie for a few requests: 200, every entry failed, FailedRecordCount 0.
      {
        operations: ['PutRecords'],
        requests: { mode: 'every', n: 25, offset: 10 },
        fault: { kind: 'putRecordsLie' },
        limit: { durationMs, count: 3 },
      },
    ];
    const sqs: FaultRule[] = [
      { operations: SQS_OPS, requests: { mode: 'rate', rate: 0.03, seed: 5 }, fault: { kind: 'throttle' }, limit },
      {
        operations: SQS_OPS,
        requests: { mode: 'rate', rate: 0.02, seed: 6 },
        fault: { kind: 'serverError', status: 500 },
        limit,
      },
    ];
    ctx.kinesisProxy.set(kinesis);
    ctx.sqsProxy.set(sqs);
    await ctx.faultWindow(durationMs);
  },
};

export const deleteEntriesFailing: Scenario = {
  name: 'delete-faults',
  title: 'DeleteMessageBatch entries failing (30 %), plus whole DeleteMessageBatch requests failing',
  async inject(ctx) {
    const durationMs = windowMs(ctx, 30_000, 120_000);
    ctx.sqsProxy.set([
      {
        operations: ['DeleteMessageBatch'],
        fault: { kind: 'sqsBatchEntries', entries: { mode: 'rate', rate: 0.3, seed: 7 }, code: 'InternalError' },
        limit: { durationMs },
      },
      {
        operations: ['DeleteMessageBatch'],
        requests: { mode: 'every', n: 10 },
        fault: { kind: 'serverError', status: 503 },
        limit: { durationMs },
      },
    ]);
    await ctx.faultWindow(durationMs);
  },
};

export const kinesisUnreachable: Scenario = {
  name: 'kinesis-down',
  title: 'the Kinesis emulator unreachable (connections refused) while publishing',
  async inject(ctx) {
    await ctx.publishing(3);
    const durationMs = windowMs(ctx, 20_000, 60_000);
    ctx.log(`kinesis-down: refusing Kinesis connections for ${durationMs / 1000} s`);
    await ctx.kinesisProxy.down({ durationMs, mode: 'refuse' });
    ctx.recordFault(`Kinesis refused for ${durationMs / 1000} s`, 1);
    await new Promise((r) => setTimeout(r, durationMs));
    await ctx.kinesisProxy.up();
  },
};

/**
 * Every third PutRecords takes 12 s, longer than the 10 s visibility timeout: the lanes it hits are slow while the
 * others keep cycling through receive, so a message whose lease lapsed is received again at once.
 */
function slowPutRecords(durationMs: number): FaultRule {
  return {
    operations: ['PutRecords'],
    requests: { mode: 'every', n: 3 },
    fault: { kind: 'latency', ms: 12_000 },
    limit: { durationMs },
  };
}

export const slowPublishKeepsLease: Scenario = {
  name: 'slow-publish',
  title: 'PutRecords slower (12 s) than the visibility timeout (10 s): the lease must keep messages hidden',
  // Small batches: lanes come back to receive while other lanes still publish, so an expired lease would show.
  runInput: { visibilityTimeoutSeconds: 10, receivesPerBatch: 1 },
  async inject(ctx) {
    const durationMs = windowMs(ctx, 30_000, 60_000);
    ctx.kinesisProxy.set([slowPutRecords(durationMs)]);
    await ctx.faultWindow(durationMs);
  },
};

export const slowPublishLeaseLost: Scenario = {
  name: 'slow-publish-lease-lost',
  title:
    'slow PutRecords (12 s > 10 s visibility) and every visibility extension failing: messages reappear mid-publish',
  runInput: { visibilityTimeoutSeconds: 10 },
  async inject(ctx) {
    const durationMs = windowMs(ctx, 30_000, 60_000);
    ctx.kinesisProxy.set([slowPutRecords(durationMs)]);
    ctx.sqsProxy.set([
      {
        operations: ['ChangeMessageVisibilityBatch'],
        fault: { kind: 'sqsBatchEntries', entries: { mode: 'rate', rate: 1, seed: 8 } },
        limit: { durationMs },
      },
    ]);
    await ctx.faultWindow(durationMs);
  },
};

export const workerKilled: Scenario = {
  name: 'worker-killed',
  title: 'a worker process killed with SIGKILL mid-publish while a second worker runs',
  workerProcesses: 1,
  // The product default: longer than publish's heartbeat timeout (45 s) plus its first retry interval plus one
  // extension period, so the retried attempt resumes from the victim's last heartbeat before the victim's messages
  // reappear in the queue. (With 30 s the survivor's lanes re-receive and republish them whole: see the docs.)
  runInput: { visibilityTimeoutSeconds: 120 },
  async inject(ctx) {
    // Slow publishing down so the victim is inside a PutRecords round when it dies, not between activities.
    ctx.kinesisProxy.set([
      { operations: ['PutRecords'], fault: { kind: 'latency', ms: 1_000 }, limit: { durationMs: 120_000 } },
    ]);
    await ctx.publishing(2);
    const victim = ctx.workers[0];
    if (!victim) throw new Error('worker-killed needs a worker process');
    const survivor = await ctx.startWorker();
    const seen = ctx.kinesisProxy.stats().requests['PutRecords'] ?? 0;
    await ctx.publishing(seen + 2); // the victim is still publishing (the survivor may be too)
    ctx.log(`worker-killed: SIGKILL to worker process group ${victim.pid} (survivor: ${survivor.pid})`);
    victim.kill();
    ctx.recordFault('SIGKILL worker process', 1);
    await ctx.kinesisProxy.reset();
  },
};

export const temporalRestarted: Scenario = {
  name: 'temporal-restart',
  title: 'the Temporal dev server killed (SIGKILL) mid-publish and restarted on the same SQLite file',
  // Never the shared server: other tests use it at the same time.
  privateTemporal: true,
  // The product's worker process, as deployed: it has to find the server again by itself.
  workerProcesses: 1,
  async inject(ctx) {
    await ctx.publishing(3);
    const downMs = windowMs(ctx, 10_000, 30_000);
    ctx.log(`temporal-restart: SIGKILL to the private Temporal server, down for ${downMs / 1000} s`);
    const { readyMs } = await ctx.restartTemporal(downMs);
    ctx.recordFault(`Temporal SIGKILLed, down ${downMs / 1000} s`, 1);
    ctx.log(`temporal-restart: Temporal healthy again ${readyMs} ms after its restart`);
  },
};

export const SCENARIOS: readonly Scenario[] = [
  putRecordsPartialFailures,
  deleteEntriesFailing,
  kinesisUnreachable,
  slowPublishKeepsLease,
  slowPublishLeaseLost,
  workerKilled,
  temporalRestarted,
];

export function scenarioByName(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
