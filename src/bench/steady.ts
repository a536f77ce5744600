import { ScheduleOverlapPolicy } from '@temporalio/client';
import type { PlannedSubmission } from '../fleet/generate';
import type { SubmissionEntry } from '../fleet/manifest';
import { BatchDispatcher, planBatches, type SendResult } from '../fleet/send';
import { WORKFLOW_TYPE } from '../shared';
import { drainInputSchema, type DrainInputOverrides } from '../drain-input';
import { readQueueDepth } from '../verify';
import { fetchTaskQueueRuns, summarizeHistories } from './history';
import { expectedEvents, manifestOf, verifyWithClock } from './load';
import { cpuFigures, ResourceMeter, type BenchResources } from './stack';
import { createInProcessWorker, type TemporalContext } from './temporal-run';
import type { SteadyResult } from './types';

export interface SteadyOptions {
  ratePerSec: number;
  durationSec: number;
  scheduleIntervalSec: number;
  lanes: number;
  input: DrainInputOverrides;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** Sends the planned submissions at a fixed rate (batches of up to 10, each at its due time). */
async function sendAtRate(
  ctx: TemporalContext,
  queueUrl: string,
  planned: readonly PlannedSubmission[],
  ratePerSec: number,
): Promise<SendResult[]> {
  const results: SendResult[] = [];
  const dispatcher = new BatchDispatcher(ctx.clients.sqs, {
    queueUrl,
    concurrency: 8,
    onResult: (r) => results.push(r),
  });
  const startedAt = Date.now();
  let sent = 0;
  for (const batch of planBatches(planned)) {
    await sleep(startedAt + (sent * 1000) / ratePerSec - Date.now());
    await dispatcher.dispatch(batch);
    sent += batch.length;
  }
  await dispatcher.drain();
  return results.sort((a, b) => a.planned.seq - b.planned.seq);
}

/**
 * Steady mode with the real Schedule (short interval, overlap BUFFER_ONE): the fleet sends at a fixed rate while
 * scheduled runs drain. A run keeps draining until a receive comes back empty, and BUFFER_ONE queues exactly one
 * follow-up while a run is busy, so under load runs follow each other back to back; lag is bounded by the interval
 * only when the queue was empty at the previous run's end.
 */
export async function runSteady(
  ctx: TemporalContext,
  r: BenchResources,
  planned: readonly PlannedSubmission[],
  o: SteadyOptions,
): Promise<SteadyResult> {
  const worker = await createInProcessWorker(ctx, r);
  const scheduleId = `${r.taskQueue}-schedule`;
  const input = drainInputSchema.parse({ ...o.input, lanes: o.lanes });
  let submissions: SubmissionEntry[] = [];
  const clockBefore = await ctx.clock.offsetMs();
  const meter = new ResourceMeter();
  await worker.runUntil(async () => {
    const schedule = await ctx.client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: o.scheduleIntervalSec * 1000 }] },
      action: {
        type: 'startWorkflow',
        workflowType: WORKFLOW_TYPE,
        workflowId: `${r.taskQueue}-run`,
        taskQueue: r.taskQueue,
        args: [input],
      },
      policies: { overlap: ScheduleOverlapPolicy.BUFFER_ONE, catchupWindow: '1 minute' },
    });
    try {
      const results = await sendAtRate(ctx, r.queueUrl, planned, o.ratePerSec);
      submissions = manifestOf(results);
      // Drained: the queue is empty; then no new run is needed.
      for (let i = 0; i < 600; i++) {
        const depth = await readQueueDepth(ctx.clients.sqs, r.queueUrl);
        if (depth.visible + depth.notVisible + depth.delayed === 0) break;
        await sleep(500);
      }
    } finally {
      await schedule.delete().catch(() => undefined);
    }
    // Let a run already started finish (it ends at its next empty receive).
    for (let i = 0; i < 120; i++) {
      const running = await ctx.client.workflow.count(`TaskQueue = "${r.taskQueue}" AND ExecutionStatus = "Running"`);
      if (running.count === 0) break;
      await sleep(500);
    }
  });
  const usage = meter.stop();
  const events = expectedEvents(planned);
  const { figures, latency, clockOffsetMs } = await verifyWithClock(ctx, submissions, r, clockBefore);
  // Visibility is eventually consistent: give the last runs a moment to be listed.
  await sleep(1500);
  const runs = await fetchTaskQueueRuns(ctx.client, r.taskQueue);
  const h = summarizeHistories(runs, events);
  // Each scheduled start is also a Schedule action (docs.temporal.io/cloud/actions, "Schedule").
  const scheduled = runs.filter((run) => run.some((e) => e.workflowExecutionStartedEventAttributes)).length;
  const per1000 = (n: number): number | null => (events > 0 ? (n * 1000) / events : null);
  return {
    name: `steady ${o.ratePerSec.toFixed(1)}/s`,
    ratePerSec: o.ratePerSec,
    durationSec: o.durationSec,
    scheduleIntervalSec: o.scheduleIntervalSec,
    lanes: o.lanes,
    receiveWaitSeconds: input.receiveWaitSeconds,
    submissions: planned.length,
    events,
    runs: runs.length,
    latencyMs: latency,
    clockOffsetMs,
    actionsPer1000Events: per1000(h.actions.total + scheduled),
    actionsPer1000WithHeartbeats: per1000(h.actions.total + scheduled + h.heartbeatsEstimated),
    cpu: cpuFigures(usage, events),
    verify: figures,
  };
}
