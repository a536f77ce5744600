import { ApplicationFailure, continueAsNew, defineQuery, log, setHandler, workflowInfo } from '@temporalio/workflow';
import type { DeleteResult, ReceivedBatch, ValidatedBatch } from '../src/contracts/batch-steps';
import { batchSteps, receiveSubmissions, type BatchSteps } from './activity-proxies';
import { parseDrainInput, type DrainInput, type DrainInputOverrides } from './drain-input';
import { PROGRESS_QUERY } from './names';
import {
  describeTotals,
  emptyTotals,
  recordInvalid,
  recordUnknownFields,
  type LaneStop,
  type RunSummary,
  type RunTotals,
} from './run-summary';
import { firstReceiveWaitSeconds, runDeadlineMs } from './run-timeout';
import { publishSearchAttributes } from './search-attributes';
import { ABANDONED, stage } from './stage';

/** State carried across continue-as-new, so one scheduled run reports one summary and keeps one budget. */
export interface CarriedState {
  startedAtMs: number;
  totals: RunTotals;
}

export interface RunProgress extends RunTotals {
  activeLanes: number;
  input: DrainInput;
}

export const progressQuery = defineQuery<RunProgress>(PROGRESS_QUERY);

/**
 * One scheduled run: parallel lanes consume the queue batch by batch until the run budget is spent (continuous mode,
 * the default) or the queue is empty (drain mode). A batch is received by any worker, which keeps its bodies; its
 * validate, publish and delete steps run on that worker's own task queue. History carries the batch's reference and
 * counts, never telemetry (G8). A message is deleted only after every one of its events is acknowledged (G1).
 */
export async function drainQueue(rawInput?: DrainInputOverrides, carried?: CarriedState): Promise<RunSummary> {
  const input = parseDrainInput(rawInput);
  const startedAtMs = carried?.startedAtMs ?? Date.now();
  const totals: RunTotals = carried?.totals ?? emptyTotals();
  const deadlineMs = runDeadlineMs(
    startedAtMs,
    input.runBudgetSeconds,
    workflowInfo().executionExpirationTime?.getTime(),
  );
  let activeLanes = input.lanes;
  const abandoned = new Set<string>();
  setHandler(progressQuery, () => ({ ...totals, activeLanes, input }));

  const lanes = await Promise.all(
    Array.from({ length: input.lanes }, async () => {
      const stop = await drainLane({ input, totals, deadlineMs, abandoned });
      activeLanes -= 1;
      return stop;
    }),
  );

  if (input.searchAttributes) publishSearchAttributes(totals);
  if (lanes.includes('history-full') && !lanes.includes('stage-failed')) {
    log.info('history is large; continuing as new', { totals: describeTotals(totals) });
    totals.continuedAsNew += 1;
    await continueAsNew<typeof drainQueue>(input, { startedAtMs, totals });
  }

  const summary: RunSummary = { ...totals, lanes, durationMs: Date.now() - startedAtMs };
  log.info('run finished', { summary: describeTotals(totals), lanes });
  if (totals.failures.length > 0) {
    // Fail the run visibly: the messages involved stay in the queue (redelivered, then dead-lettered if they keep
    // failing), and the operator sees why in the UI.
    throw ApplicationFailure.nonRetryable(`run incomplete: ${describeTotals(totals)}`, 'RunIncomplete', summary);
  }
  return summary;
}

interface Run {
  input: DrainInput;
  totals: RunTotals;
  deadlineMs: number;
  /** Batches abandoned so far (each counted once, whichever of its steps found its worker gone). */
  abandoned: Set<string>;
}

/**
 * A lane: receive → validate → publish, then the batch's deletes run while the lane receives the next batch (the
 * events are on the stream: deleting is off the latency path). At most two batches' deletes are in flight per lane;
 * a failed one stops the lane, which never ends with a delete still open.
 */
async function drainLane(run: Run): Promise<LaneStop> {
  const deletes: Promise<boolean>[] = [];
  const stop = await consume(run, deletes);
  const settled = await Promise.all(deletes);
  return settled.every(Boolean) ? stop : 'stage-failed';
}

async function consume(run: Run, deletes: Promise<boolean>[]): Promise<LaneStop> {
  const { input, totals, deadlineMs } = run;
  for (;;) {
    // The batch before the previous one must be deleted before this lane takes more messages.
    if (deletes.length >= 2 && !(await deletes.shift())) return 'stage-failed';
    if (Date.now() >= deadlineMs) return 'run-budget-spent';
    if (workflowInfo().continueAsNewSuggested) return 'history-full';

    const batch = await stage(totals, 'receive', 0, () =>
      receiveSubmissions.executeWithOptions({ summary: receiveSummary(input) }, [
        {
          maxNumberOfMessages: input.maxNumberOfMessages,
          receives: input.receivesPerBatch,
          visibilityTimeoutSeconds: input.visibilityTimeoutSeconds,
          waitTimeSeconds: firstReceiveWaitSeconds(input, Date.now(), deadlineMs),
        },
      ]),
    );
    if (batch === undefined || batch === ABANDONED) return 'stage-failed';
    if (batch.messages === 0) {
      if (input.mode === 'drain' && !batch.holdFull) return 'queue-empty';
      continue; // continuous: the long poll came back empty, listen again
    }
    totals.batches += 1;
    totals.received += batch.messages;
    const { deletion, published } = await processBatch(run, batch);
    deletes.push(deletion);
    if (!published) return 'stage-failed';
  }
}

interface Processed {
  /** The batch's deletes (published messages) and drops (invalid ones), started; false if one failed. */
  deletion: Promise<boolean>;
  /** False: a step failed after its retries; the lane stops (the batch's messages reappear once let go). */
  published: boolean;
}

/**
 * Validates a held batch, drops its invalid messages while its valid ones are published, then deletes those. A batch
 * whose worker is gone is abandoned: counted, and its messages reappear after their visibility timeout (G5) with the
 * same event ids (G3).
 */
async function processBatch(run: Run, batch: ReceivedBatch): Promise<Processed> {
  const { input, totals } = run;
  const steps = batchSteps(batch.taskQueue);
  const ref = { batchId: batch.batchId };
  const judged = await stage(totals, 'validate', batch.messages, () =>
    steps.validateSubmissions.executeWithOptions({ summary: `validate ${batch.messages} submissions` }, [
      {
        ...ref,
        partitionKey: input.partitionKey,
        includeProvenance: input.includeProvenance,
        unknownFields: input.unknownFields,
        ...(input.validationLimits ? { limits: input.validationLimits } : {}),
      },
    ]),
  );
  if (judged === ABANDONED) return abandon(run, batch);
  if (judged === undefined) return { deletion: Promise.resolve(true), published: false };
  recordJudged(totals, judged);

  // Invalid submissions leave the queue at once, whatever happens to their valid neighbours (G4).
  const dropping = judged.invalid === 0 ? Promise.resolve(true) : dropInvalid(run, steps, batch, judged.invalid);
  if (judged.valid === 0) return { deletion: dropping, published: true };
  const published = await stage(totals, 'publish', judged.valid, () =>
    steps.publishEvents.executeWithOptions(
      { summary: `publish ${judged.events} events of ${judged.valid} submissions` },
      [ref],
    ),
  );
  if (published === ABANDONED) return { ...abandon(run, batch), deletion: dropping };
  if (published === undefined) return { deletion: dropping, published: false };
  totals.eventsPublished += published.eventsPublished + published.resumedEvents;
  totals.publishRetriedEntries += published.retriedEntries;
  // Only now, with every event acknowledged, may the valid messages leave the queue (G1, docs/contract.md).
  const deleting = deletePublished(run, steps, batch, judged.valid);
  return { deletion: Promise.all([dropping, deleting]).then((done) => done.every(Boolean)), published: true };
}

async function deletePublished(run: Run, steps: BatchSteps, batch: ReceivedBatch, messages: number) {
  const deleted = await stage(run.totals, 'delete', messages, () =>
    steps.deleteMessages.executeWithOptions({ summary: `delete ${messages} published messages` }, [
      { batchId: batch.batchId },
    ]),
  );
  return settled(run, batch, deleted);
}

async function dropInvalid(run: Run, steps: BatchSteps, batch: ReceivedBatch, messages: number) {
  const dropped = await stage(run.totals, 'delete', messages, () =>
    steps.dropInvalidSubmissions.executeWithOptions({ summary: `drop invalid: ${messages} messages` }, [
      { batchId: batch.batchId },
    ]),
  );
  if (dropped !== undefined && dropped !== ABANDONED) run.totals.quarantined += dropped.quarantined;
  return settled(run, batch, dropped);
}

/** Counts a delete's outcome; false when it failed after its retries (the lane then stops). */
function settled(run: Run, batch: ReceivedBatch, result: DeleteResult | typeof ABANDONED | undefined): boolean {
  if (result === undefined) return false;
  if (result === ABANDONED) {
    abandon(run, batch);
    return true;
  }
  const { totals } = run;
  totals.deleted += result.deleted;
  totals.deleteRetriedEntries += result.retriedEntries;
  totals.staleReceipts += result.staleReceipts;
  return true;
}

function recordJudged(totals: RunTotals, judged: ValidatedBatch): void {
  totals.valid += judged.valid;
  recordInvalid(totals, { byReason: judged.invalidByReason, samples: judged.invalidSamples });
  recordUnknownFields(totals, { submissions: judged.unknownFieldSubmissions, byPath: judged.unknownFieldsByPath });
}

function abandon(run: Run, batch: ReceivedBatch): Processed {
  if (run.abandoned.has(batch.batchId)) return { deletion: Promise.resolve(true), published: true };
  run.abandoned.add(batch.batchId);
  run.totals.abandonedMessages += batch.messages;
  log.warn('batch abandoned: its worker is gone; its messages reappear in the queue', {
    batchId: batch.batchId,
    messages: batch.messages,
  });
  return { deletion: Promise.resolve(true), published: true };
}

function receiveSummary(input: DrainInput): string {
  return `receive up to ${input.maxNumberOfMessages * input.receivesPerBatch} messages (${input.receivesPerBatch} × ${input.maxNumberOfMessages})`;
}
