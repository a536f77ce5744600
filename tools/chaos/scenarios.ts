import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultRule } from './proxy';
import type { ChaosContext, ChaosResult, Scenario } from './runner';
import type { WorkerProcess } from './workers';

// The chaos scenarios of issue 4 (docs/reliability.md). Fault windows scale with the load between a CI floor and the
// full-size length.

const windowMs = (ctx: ChaosContext, ciMs: number, fullMs: number): number =>
  Math.round(Math.min(fullMs, Math.max(ciMs, fullMs * ctx.scale)));

const SQS_OPS = ['ReceiveMessage', 'DeleteMessageBatch', 'ChangeMessageVisibilityBatch'];

/** Faults a named rule of a proxy injected so far. */
const injectedBy = (proxy: ChaosContext['sqsProxy'], rule: string): number =>
  proxy
    .stats()
    .rules.filter((r) => r.name === rule)
    .reduce((sum, r) => sum + r.injected, 0);

/**
 * Requests of `operation` the proxy sees after `since` of them had been seen, waiting up to `maxMs` (or until the
 * queue drained) for the first: proof that the pipeline still had work of that kind once the fault was over.
 */
async function requestsAfter(
  ctx: ChaosContext,
  proxy: ChaosContext['sqsProxy'],
  operation: string,
  since: number,
  maxMs: number,
): Promise<number> {
  let windowOver = false;
  void ctx.faultWindow(maxMs).then(() => (windowOver = true));
  const count = (): number => (proxy.stats().requests[operation] ?? 0) - since;
  while (!windowOver && count() === 0) await sleep(100);
  return count();
}

function batchesOfGoneWorkers(result: ChaosResult): number {
  return Object.values(result.activities).reduce((sum, a) => sum + a.workerGone, 0);
}

function retriedActivities(result: ChaosResult, types: readonly string[]): number {
  return types.reduce((sum, type) => sum + (result.activities[type]?.retried ?? 0), 0);
}

/** The named faults of putrecords-faults that must each be seen firing (by their rule's own counter). */
export const PUT_RECORDS_NAMED_FAULTS = {
  hang: 'PutRecords answer withheld (hang)',
  reset: 'PutRecords connection reset after the request landed',
  lie: 'PutRecords lying 200 answer (every entry failed, FailedRecordCount 0)',
} as const;

/**
 * The fault plan of putrecords-faults. The hang, reset and lie rules pick early requests (every 6th to 10th PutRecords
 * that no other request-level fault took, 3 of each): a CI-size load makes a few dozen PutRecords requests, and a
 * named fault that never fires proves nothing.
 */
export function putRecordsFaultPlan(durationMs: number): { kinesis: FaultRule[]; sqs: FaultRule[] } {
  const limit = { durationMs };
  return {
    kinesis: [
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
        name: PUT_RECORDS_NAMED_FAULTS.hang,
        operations: ['PutRecords'],
        requests: { mode: 'every', n: 8 },
        fault: { kind: 'hang', maxHangMs: 8_000, phase: 'after' },
        limit: { durationMs, count: 3 },
      },
      {
        name: PUT_RECORDS_NAMED_FAULTS.reset,
        operations: ['PutRecords'],
        requests: { mode: 'every', n: 10, offset: 4 },
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
        name: PUT_RECORDS_NAMED_FAULTS.lie,
        operations: ['PutRecords'],
        requests: { mode: 'every', n: 6, offset: 2 },
        fault: { kind: 'putRecordsLie' },
        limit: { durationMs, count: 3 },
      },
    ],
    sqs: [
      { operations: SQS_OPS, requests: { mode: 'rate', rate: 0.03, seed: 5 }, fault: { kind: 'throttle' }, limit },
      {
        operations: SQS_OPS,
        requests: { mode: 'rate', rate: 0.02, seed: 6 },
        fault: { kind: 'serverError', status: 500 },
        limit,
      },
    ],
  };
}

export const putRecordsPartialFailures: Scenario = {
  name: 'putrecords-faults',
  title: '20 % of PutRecords entries failing, plus request throttles, 5xx, hangs, resets and lying 200 answers',
  async inject(ctx) {
    const durationMs = windowMs(ctx, 30_000, 120_000);
    const { kinesis, sqs } = putRecordsFaultPlan(durationMs);
    ctx.kinesisProxy.set(kinesis);
    ctx.sqsProxy.set(sqs);
    await ctx.faultWindow(durationMs);
    ctx.evidence('PutRecords entries failed', injectedBy(ctx.kinesisProxy, 'putRecordsEntries'));
    // Each named fault fired (its rule's own counter; a zero is a problem, see evidenceProblems in runner.ts).
    for (const name of Object.values(PUT_RECORDS_NAMED_FAULTS)) ctx.evidence(name, injectedBy(ctx.kinesisProxy, name));
  },
};

/**
 * G1 for deletes: every DeleteMessageBatch entry the proxy failed must be sent again with the same receipt handle and
 * accepted. A delete that treated failed entries as deleted still passes the verifier (the messages reappear, are
 * republished with the same ids and deleted again under new receipt handles), so only this count tells them apart.
 */
export function deleteRetryProblems(counts: { failed: number; retried: number } | undefined): string[] {
  if (counts === undefined || counts.failed === 0) return ['no DeleteMessageBatch entry was failed by the proxy'];
  if (counts.retried < counts.failed) {
    return [
      `${counts.failed - counts.retried} of ${counts.failed} failed DeleteMessageBatch entries were never retried ` +
        'with their receipt handle (treated as deleted?)',
    ];
  }
  return [];
}

/**
 * delete-faults. The retry counts are read after the load drained (a failed entry may be retried after the fault
 * window) and judged by the verdict, which the runner calls for the same run right after: hence the state shared by
 * the two, one per scenario object.
 */
function deleteFaultsScenario(): Scenario {
  let retries: { failed: number; retried: number } | undefined;
  return {
    name: 'delete-faults',
    title: 'DeleteMessageBatch entries failing (30 %), plus whole DeleteMessageBatch requests failing',
    async inject(ctx) {
      retries = undefined;
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
      ctx.evidence('DeleteMessageBatch entries failed', injectedBy(ctx.sqsProxy, 'sqsBatchEntries'));
      // Until the queue drained (bounded): the retries of the last failed entries may come after the window.
      await ctx.faultWindow(DRAIN_WAIT_MS);
      retries = ctx.sqsProxy.stats().entryRetries['DeleteMessageBatch'];
      ctx.evidence('failed DeleteMessageBatch entries retried with their receipt handle', retries?.retried ?? 0);
    },
    verdict: () => deleteRetryProblems(retries),
  };
}

/** How long a scenario waits, after its faults, for the pipeline to drain before it reads its final counters. */
const DRAIN_WAIT_MS = 10 * 60_000;

export const deleteEntriesFailing = deleteFaultsScenario();

export const kinesisUnreachable: Scenario = {
  name: 'kinesis-down',
  title: 'the Kinesis emulator unreachable (every request refused without an answer) while publishing',
  async inject(ctx) {
    const atFault = await ctx.publishing(1);
    const durationMs = windowMs(ctx, 20_000, 60_000);
    ctx.log(`kinesis-down: refusing every Kinesis request for ${durationMs / 1000} s`);
    // `reject`, not `refuse`: a connection the kernel refuses never reaches the proxy and cannot be counted, so the
    // proxy accepts, reads the request (to count it by operation), and closes the connection without an answer.
    await ctx.kinesisProxy.down({ durationMs, mode: 'reject' });
    ctx.recordFault(`Kinesis refused for ${durationMs / 1000} s`, 1);
    ctx.evidence('messages held by runs when Kinesis went down', atFault.held);
    await sleep(durationMs);
    const refused = ctx.kinesisProxy.stats().refusedWhileDown;
    await ctx.kinesisProxy.up();
    ctx.evidence('PutRecords requests refused during the outage', refused['PutRecords'] ?? 0);
    // And publishing still had to happen once Kinesis was back: the outage hit work in flight.
    const { putRecords } = await ctx.inFlight();
    ctx.evidence(
      'PutRecords requests after Kinesis came back',
      await requestsAfter(ctx, ctx.kinesisProxy, 'PutRecords', putRecords, 60_000),
    );
  },
};

/**
 * One experiment, two arms: every third PutRecords takes 12 s, longer than the 10 s visibility timeout, with the same
 * run input in both arms. Small batches (one ReceiveMessage each) bring lanes back to receive while other lanes still
 * publish, so a message whose visibility lapsed is received again at once. The treatment keeps the lease; the control
 * (lease-lost) fails every visibility extension, and nothing else differs.
 */
const SLOW_PUBLISH_RUN_INPUT = { visibilityTimeoutSeconds: 10, receivesPerBatch: 1 } as const;

function slowPublishArm(ctx: ChaosContext, leaseLost: boolean): Promise<void> {
  const durationMs = windowMs(ctx, 30_000, 60_000);
  ctx.kinesisProxy.set([
    {
      name: 'slow PutRecords',
      operations: ['PutRecords'],
      requests: { mode: 'every', n: 3 },
      fault: { kind: 'latency', ms: 12_000 },
      limit: { durationMs },
    },
  ]);
  ctx.sqsProxy.set(
    leaseLost
      ? [
          {
            name: 'visibility extension failed',
            operations: ['ChangeMessageVisibilityBatch'],
            fault: { kind: 'sqsBatchEntries', entries: { mode: 'rate', rate: 1, seed: 8 } },
            limit: { durationMs },
          },
        ]
      : [],
  );
  return ctx.faultWindow(durationMs).then(() => {
    ctx.evidence('PutRecords slowed past the visibility timeout', injectedBy(ctx.kinesisProxy, 'slow PutRecords'));
    if (leaseLost) {
      ctx.evidence('visibility extensions failed', injectedBy(ctx.sqsProxy, 'visibility extension failed'));
    }
  });
}

export const slowPublishKeepsLease: Scenario = {
  name: 'slow-publish',
  title: 'PutRecords slower (12 s) than the visibility timeout (10 s): the lease must keep messages hidden',
  runInput: SLOW_PUBLISH_RUN_INPUT,
  inject: (ctx) => slowPublishArm(ctx, false),
  verdict: (r) => [
    ...(r.redelivered > 0 ? [`${r.redelivered} messages redelivered although the lease was working`] : []),
    ...(r.duplicatesSameId > 0 ? [`${r.duplicatesSameId} duplicates although the lease was working`] : []),
  ],
};

export const slowPublishLeaseLost: Scenario = {
  name: 'slow-publish-lease-lost',
  title: 'control of slow-publish: same load and run input, every visibility extension failing: messages reappear',
  runInput: SLOW_PUBLISH_RUN_INPUT,
  inject: (ctx) => slowPublishArm(ctx, true),
  // The control shows what the lease prevents; a control without redelivery proves nothing about the treatment.
  verdict: (r) => (r.redelivered > 0 ? [] : ['no message was redelivered: the control did not exercise the lease']),
};

/**
 * SQS answers late: every DeleteMessageBatch, ChangeMessageVisibilityBatch and SendMessageBatch (quarantine copies;
 * no quarantine queue in the chaos runner) that starts within the window is answered 20 s after SQS processed it,
 * below the clients' 30 s request timeout. A delete of a full batch is several such requests in a row; an activity
 * that heartbeats once per round of requests misses its 45 s heartbeat timeout and is retried (issue 10, item 5).
 */
export const sqsLatency: Scenario = {
  name: 'sqs-latency',
  title: 'SQS delete/visibility/send answers 20 s late: delete and drop activities must keep heartbeating',
  // Four receives per batch: up to 40 messages, so a delete is at most 4 requests (80 s), inside its 2 min timeout.
  runInput: { visibilityTimeoutSeconds: 120, receivesPerBatch: 4 },
  async inject(ctx) {
    await ctx.publishing(1);
    const durationMs = windowMs(ctx, 60_000, 120_000);
    const slow = (operation: string): FaultRule => ({
      name: `slow ${operation}`,
      operations: [operation],
      fault: { kind: 'latency', ms: 20_000, phase: 'after' },
      limit: { durationMs },
    });
    ctx.sqsProxy.set([slow('DeleteMessageBatch'), slow('ChangeMessageVisibilityBatch'), slow('SendMessageBatch')]);
    await ctx.faultWindow(durationMs);
    ctx.evidence('DeleteMessageBatch answers delayed', injectedBy(ctx.sqsProxy, 'slow DeleteMessageBatch'));
  },
  verdict: (r) => {
    const types = ['deleteMessages', 'dropInvalidSubmissions'];
    const retried = retriedActivities(r, types);
    const heartbeat = types.reduce((sum, t) => sum + (r.activities[t]?.heartbeatTimeouts ?? 0), 0);
    return retried > 0
      ? [
          `${retried} delete/drop activities retried (${heartbeat} after a heartbeat timeout): ` +
            types.flatMap((t) => r.activities[t]?.lastFailures ?? []).join('; '),
        ]
      : [];
  },
};

interface WorkerKill {
  name: string;
  title: string;
  runInput: Record<string, unknown>;
  /** PutRecords requests (while messages are held) before the kill: later means deeper into the victim's batches. */
  killAfterPutRecords: number;
}

/** Kills until one hits a worker with AWS requests in flight; each kill is counted in the result table. */
const MAX_KILLS = 3;

function workerKilledScenario({ name, title, runInput, killAfterPutRecords }: WorkerKill): Scenario {
  return {
    name,
    title,
    // Both workers poll from the start: a survivor started only after publishing began needs seconds to come up, and
    // at CI size the load could be published by then, so the kill would hit an idle worker.
    workerProcesses: 2,
    runInput,
    async inject(ctx) {
      // Slow publishing down so the victim is inside a PutRecords round when it dies, not between activities.
      ctx.kinesisProxy.set([
        { operations: ['PutRecords'], fault: { kind: 'latency', ms: 1_000 }, limit: { durationMs: 120_000 } },
      ]);
      const killed = new Set<WorkerProcess>();
      let abandoned = 0;
      // Temporal may have handed every activity to the other worker; a kill that left no request unanswered hit an
      // idle process, so a fresh worker joins and the other one is killed next (at most MAX_KILLS in all).
      for (let kill = 1; kill <= MAX_KILLS && abandoned === 0; kill++) {
        const alive = ctx.workers.filter((w) => !killed.has(w));
        if (alive.length < 2) alive.push(await ctx.startWorker());
        const [victim, survivor] = alive;
        if (!victim || !survivor) throw new Error(`${name} needs two worker processes`);
        const putRecordsSoFar = ctx.kinesisProxy.stats().requests['PutRecords'] ?? 0;
        const atKill = await ctx.publishing(kill === 1 ? killAfterPutRecords : putRecordsSoFar + 2);
        const abandonedBefore = ctx.kinesisProxy.stats().abandoned + ctx.sqsProxy.stats().abandoned;
        ctx.log(`${name}: SIGKILL ${kill} to worker process group ${victim.pid} (survivor: ${survivor.pid})`);
        victim.kill();
        killed.add(victim);
        ctx.recordFault('SIGKILL worker process', 1);
        if (kill === 1) ctx.evidence('messages held by runs at the kill', atKill.held);
        await sleep(1_000); // the kernel closes the victim's sockets; the proxies see their requests abandoned
        abandoned += ctx.kinesisProxy.stats().abandoned + ctx.sqsProxy.stats().abandoned - abandonedBefore;
        if (abandoned === 0) ctx.log(`${name}: the killed worker held no AWS request (idle); killing again`);
      }
      ctx.evidence('AWS requests the killed worker left unanswered', abandoned);
      await ctx.kinesisProxy.reset();
    },
    // The kill interrupted a batch: an activity needed a second attempt, or a step of the victim's batch timed out
    // waiting to start (the victim's own queue has no poller) and the run abandoned the batch to SQS.
    verdict: (r) =>
      retriedActivities(r, Object.keys(r.activities)) + batchesOfGoneWorkers(r) > 0
        ? []
        : ['no activity was retried or abandoned after the kill: the kill did not interrupt an activity'],
  };
}

export const workerKilled = workerKilledScenario({
  name: 'worker-killed',
  title: 'a worker process killed with SIGKILL mid-publish while a second worker runs',
  // The victim's batches are abandoned (their steps time out waiting to start on its queue) and their messages
  // reappear once the lease the victim kept is over: 30 s of visibility keeps that within the CI drain timeout. The
  // survivor publishes only what is not yet on the stream. Many small batches in parallel lanes, so both workers
  // hold batches when the kill comes (with 2 lanes of full batches the survivor could hold every batch).
  runInput: { visibilityTimeoutSeconds: 30, lanes: 8, receivesPerBatch: 1 },
  killAfterPutRecords: 2,
});

/**
 * The duplicates-per-kill measurement (docs/reliability.md): full 100-message batches, the kill several rounds into
 * the victim's publishes, where a retry that resumed from a stale heartbeat would send many rounds again.
 */
export const workerKilledMidBatch = workerKilledScenario({
  name: 'worker-killed-mid-batch',
  title: 'a worker process killed with SIGKILL several rounds into publishing full batches',
  runInput: { visibilityTimeoutSeconds: 30, lanes: 4 },
  killAfterPutRecords: 20,
});

export const temporalRestarted: Scenario = {
  name: 'temporal-restart',
  title: 'the Temporal dev server killed (SIGKILL) mid-publish and restarted on the same SQLite file',
  // Never the shared server: other tests use it at the same time.
  privateTemporal: true,
  // The product's worker process, as deployed: it has to find the server again by itself.
  workerProcesses: 1,
  async inject(ctx) {
    const atKill = await ctx.publishing(1);
    const deletesAtKill = ctx.sqsProxy.stats().requests['DeleteMessageBatch'] ?? 0;
    const downMs = windowMs(ctx, 10_000, 30_000);
    ctx.log(`temporal-restart: SIGKILL to the private Temporal server, down for ${downMs / 1000} s`);
    const { readyMs } = await ctx.restartTemporal(downMs);
    ctx.recordFault(`Temporal SIGKILLed, down ${downMs / 1000} s`, 1);
    ctx.log(`temporal-restart: Temporal healthy again ${readyMs} ms after its restart`);
    ctx.evidence('messages held by runs when Temporal was killed', atKill.held);
    // Deletes after the kill prove the messages held then were still in the queue, i.e. the crash hit work in flight
    // (the run's end on the restarted server and the empty queue, judged after, prove it was finished). Counted from
    // the kill, not the restart: a delete dispatched just before the kill runs on while the server is down (a lane
    // does not wait for its deletes), and at CI size that can be the last work there is (seen: 0 after the restart).
    ctx.evidence(
      'DeleteMessageBatch requests after the kill',
      await requestsAfter(ctx, ctx.sqsProxy, 'DeleteMessageBatch', deletesAtKill, 60_000),
    );
  },
};

export const SCENARIOS: readonly Scenario[] = [
  putRecordsPartialFailures,
  deleteEntriesFailing,
  kinesisUnreachable,
  slowPublishKeepsLease,
  slowPublishLeaseLost,
  sqsLatency,
  workerKilled,
  workerKilledMidBatch,
  temporalRestarted,
];

export function scenarioByName(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
