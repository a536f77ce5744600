import { ScheduleOverlapPolicy } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PlannedSubmission } from '../fleet/generate';
import type { SubmissionEntry } from '../fleet/manifest';
import { BatchDispatcher, planBatches, type SendResult } from '../fleet/send';
import { WORKFLOW_TYPE } from '../../workflows/names';
import { drainInputSchema, type DrainInputOverrides } from '../../workflows/drain-input';
import { readQueueDepth } from '../verify';
import { runExecutionTimeoutSeconds } from '../../workflows/run-timeout';
import { eventTimeMs, type HistoryEventLike } from './actions';
import { fetchTaskQueueRuns, summarizeHistories } from './history';
import { expectedEvents, manifestOf, StreamTailer, verifyWithClock } from './load';
import { cpuFigures, ResourceMeter, type BenchResources } from './stack';
import { createInProcessWorker, type TemporalContext } from './temporal-run';
import type { SteadyResult } from './types';

export interface SteadyOptions {
  ratePerSec: number;
  /** Measured period; the load runs warmupSec longer. */
  durationSec: number;
  /**
   * First seconds of load whose submissions are verified but left out of the latency percentiles: a deployed worker
   * has long been running, a fresh one (and a fresh stream) pays its first requests and JIT once (their figures are
   * reported beside, as tailer.withWarmupMs).
   */
  warmupSec: number;
  /** Submissions sent together (1: each at its own time). */
  burst: number;
  scheduleIntervalSec: number;
  input: DrainInputOverrides;
}

/**
 * Sends the planned submissions at a fixed rate, each at its own due time (submission i at i / rate seconds), as a
 * fleet of sensors does: one at a time at light load; those due together (a high rate) share a SendMessageBatch.
 * `burst` > 1 sends them in groups of that many instead, each group at its first one's due time (a harsher shape:
 * every group arrives at once and makes one batch of `burst` submissions).
 */
async function sendAtRate(
  ctx: TemporalContext,
  queueUrl: string,
  planned: readonly PlannedSubmission[],
  { ratePerSec, burst }: Pick<SteadyOptions, 'ratePerSec' | 'burst'>,
): Promise<SendResult[]> {
  const results: SendResult[] = [];
  const dispatcher = new BatchDispatcher(ctx.clients.sqs, {
    queueUrl,
    concurrency: 8,
    onResult: (r) => results.push(r),
  });
  const startedAt = Date.now();
  const dueAtMs = (i: number): number => startedAt + (i * 1000) / ratePerSec;
  for (let sent = 0; sent < planned.length;) {
    const dueNow = Math.floor(((Date.now() - startedAt) * ratePerSec) / 1000 / burst) * burst + burst;
    const due = Math.min(planned.length, dueNow);
    if (due <= sent) {
      await sleep(Math.max(1, dueAtMs(sent) - Date.now()));
      continue;
    }
    for (const batch of planBatches(planned.slice(sent, due))) await dispatcher.dispatch(batch);
    sent = due;
  }
  await dispatcher.drain();
  return results.sort((a, b) => a.planned.seq - b.planned.seq);
}

/**
 * Steady mode with the real Schedule (overlap BUFFER_ONE, the product's interval and run input unless told
 * otherwise): the fleet sends at a fixed rate for durationSec (rate 0: an idle queue, to count idle actions) while
 * scheduled runs consume. In continuous mode a run listens until its budget and BUFFER_ONE holds the next tick, so
 * runs follow each other back to back; the gaps between them are measured from the histories. At the end the
 * schedule is deleted and the run still listening is terminated.
 */
export async function runSteady(
  ctx: TemporalContext,
  r: BenchResources,
  planned: readonly PlannedSubmission[],
  o: SteadyOptions,
): Promise<SteadyResult> {
  const { worker } = await createInProcessWorker(ctx, r);
  const scheduleId = `${r.taskQueue}-schedule`;
  const input = drainInputSchema.parse(o.input);
  let submissions: SubmissionEntry[] = [];
  let startedAt = Date.now();
  const loadSec = o.warmupSec + o.durationSec;
  const clockBefore = await ctx.clock.offsetMs();
  const meter = new ResourceMeter();
  const tailer = new StreamTailer(ctx.clients.kinesis, r.streamName);
  await tailer.start();
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
        workflowExecutionTimeout: runExecutionTimeoutSeconds(input.runBudgetSeconds) * 1000,
      },
      policies: { overlap: ScheduleOverlapPolicy.BUFFER_ONE, catchupWindow: '1 minute' },
    });
    try {
      // Steady state: the first tick of a fresh schedule is up to an interval away (ticks align to the clock), a
      // deployed one has long been listening. Start a run now (BUFFER_ONE: a trigger defaults to ALLOW_ALL, which would
      // let the next tick start a second, concurrent run) and send once it listens.
      await schedule.trigger(ScheduleOverlapPolicy.BUFFER_ONE);
      await waitForRunningRun(ctx, r.taskQueue);
      startedAt = Date.now();
      const results = o.ratePerSec > 0 ? await sendAtRate(ctx, r.queueUrl, planned, o) : [];
      submissions = manifestOf(results);
      await sleep(Math.max(0, startedAt + loadSec * 1000 - Date.now()));
      // Drained: the queue is empty; then no new run is needed.
      for (let i = 0; i < 600; i++) {
        const depth = await readQueueDepth(ctx.clients.sqs, r.queueUrl);
        if (depth.visible + depth.notVisible + depth.delayed === 0) break;
        await sleep(500);
      }
    } finally {
      await schedule.delete().catch(() => undefined);
    }
    // The queue is empty: a run still listening (continuous mode) has nothing left to do.
    await terminateRunning(ctx, r.taskQueue);
  });
  const usage = meter.stop();
  await tailer.stop();
  const events = expectedEvents(planned);
  const {
    figures,
    latency,
    tailer: tailerFigures,
    clockOffsetMs,
  } = await verifyWithClock(ctx, submissions, r, clockBefore, {
    readableAt: tailer.readableAt,
    sentFromMs: startedAt + o.warmupSec * 1000,
  });
  // Visibility is eventually consistent: give the last runs a moment to be listed.
  await sleep(1500);
  const runs = await fetchTaskQueueRuns(ctx.client, r.taskQueue);
  const h = summarizeHistories(runs, events);
  // Each scheduled start is also a Schedule action (docs.temporal.io/cloud/actions, "Schedule").
  const scheduled = runs.filter((run) => run.some((e) => e.workflowExecutionStartedEventAttributes)).length;
  const per1000 = (n: number): number | null => (events > 0 ? (n * 1000) / events : null);
  const actions = h.actions.total + scheduled;
  return {
    name: `steady ${o.ratePerSec.toFixed(1)}/s`,
    ratePerSec: o.ratePerSec,
    durationSec: o.durationSec,
    warmupSec: o.warmupSec,
    burst: o.burst,
    scheduleIntervalSec: o.scheduleIntervalSec,
    lanes: input.lanes,
    mode: input.mode,
    receiveWaitSeconds: input.mode === 'drain' ? input.receiveWaitSeconds : input.idleWaitSeconds,
    runBudgetSeconds: input.runBudgetSeconds,
    actionsPerHour: (actions * 3600) / loadSec,
    runGapsMs: gapsBetweenRuns(runs),
    submissions: planned.length,
    events,
    runs: runs.length,
    latencyMs: latency,
    clockOffsetMs,
    recordsSeenByTailer: tailer.readableAt.size,
    ...(tailerFigures ? { tailer: tailerFigures } : {}),
    actionsPer1000Events: per1000(actions),
    actionsPer1000WithHeartbeats: per1000(actions + h.heartbeatsEstimated),
    cpu: cpuFigures(usage, events),
    verify: figures,
  };
}

async function terminateRunning(ctx: TemporalContext, taskQueue: string): Promise<void> {
  const running = ctx.client.workflow.list({ query: `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"` });
  for await (const run of running) {
    await ctx.client.workflow
      .getHandle(run.workflowId, run.runId)
      .terminate('bench: load over, queue empty')
      .catch(() => undefined);
  }
}

/** Time from each run's last event to the next run's start: when nothing listens (0 when runs overlap). */
export function gapsBetweenRuns(runs: readonly (readonly HistoryEventLike[])[]): number[] {
  const spans = runs
    .flatMap((events) => {
      const first = events[0];
      const last = events.at(-1);
      return first && last ? [{ start: eventTimeMs(first), end: eventTimeMs(last) }] : [];
    })
    .sort((a, b) => a.start - b.start);
  const gaps: number[] = [];
  for (let i = 1; i < spans.length; i++) {
    const previous = spans[i - 1];
    const next = spans[i];
    if (previous && next) gaps.push(Math.max(0, Math.round(next.start - previous.end)));
  }
  return gaps;
}

async function waitForRunningRun(ctx: TemporalContext, taskQueue: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const running = await ctx.client.workflow.count(`TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`);
    if (running.count > 0) return;
    await sleep(250);
  }
  throw new Error('steady: the schedule started no run within 30 s');
}
