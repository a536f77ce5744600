import {
  ApplicationFailure,
  condition,
  continueAsNew,
  defineQuery,
  log,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ReceivedBatch, ValidatedBatch } from '../src/contracts/batch-steps';
import { batchSteps, receiveSubmissions } from './activity-proxies';
import { abandon, type Run } from './run-state';
import { Settlement } from './settlement';
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
import { ABANDONED, runStep } from './step';

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
  const run: Run = { input, totals, deadlineMs, abandoned: new Set(), backlog: false, receiving: 0, emptyReceives: 0 };
  setHandler(progressQuery, () => ({ ...totals, activeLanes, input }));

  const lanes = await Promise.all(
    Array.from({ length: input.lanes }, async () => {
      const stop = await drainLane(run);
      activeLanes -= 1;
      return stop;
    }),
  );

  if (input.searchAttributes) publishSearchAttributes(totals);
  if (lanes.includes('history-full') && !lanes.includes('step-failed')) {
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

/**
 * A lane: receive → validate → publish; what may then leave the queue waits in the lane's settlement
 * (workflows/settlement.ts), whose deletes run while the lane receives on (the events are on the stream: deleting is
 * off the latency path). At most two deletes are in flight per lane; a failed one stops the lane, which never ends
 * with a delete still open.
 */
async function drainLane(run: Run): Promise<LaneStop> {
  const deletes: Promise<boolean>[] = [];
  const settlement = new Settlement(run);
  const stop = await consume(run, settlement, deletes);
  const last = settlement.flush();
  const settled = await Promise.all(last ? [...deletes, last] : deletes);
  return settled.every(Boolean) ? stop : 'step-failed';
}

async function consume(run: Run, settlement: Settlement, deletes: Promise<boolean>[]): Promise<LaneStop> {
  const { input, totals, deadlineMs } = run;
  const settle = (flush: Promise<boolean> | undefined): void => void (flush && deletes.push(flush));
  for (;;) {
    // The batch before the previous one must be deleted before this lane takes more messages.
    if (deletes.length >= 2 && !(await deletes.shift())) return 'step-failed';
    if (input.mode === 'continuous') await takeTurn(run, () => settle(settlement.flush()));
    else run.receiving += 1;
    const stop =
      Date.now() >= deadlineMs ? 'run-budget-spent' : workflowInfo().continueAsNewSuggested && 'history-full';
    if (stop) {
      run.receiving -= 1;
      return stop;
    }

    const batch = await runStep(totals, 'receive', 0, () =>
      receiveSubmissions.executeWithOptions({ summary: receiveSummary(input) }, [
        {
          maxNumberOfMessages: input.maxNumberOfMessages,
          receives: input.receivesPerBatch,
          visibilityTimeoutSeconds: input.visibilityTimeoutSeconds,
          waitTimeSeconds: firstReceiveWaitSeconds(input, Date.now(), deadlineMs),
          gatherMs: input.gatherMilliseconds,
        },
      ]),
    );
    run.receiving -= 1;
    if (batch === undefined || batch === ABANDONED) return 'step-failed';
    run.backlog = batch.messages >= input.maxNumberOfMessages;
    if (batch.messages === 0) {
      run.emptyReceives += 1;
      settle(settlement.flush()); // the queue is quiet: what waits leaves it now
      if (input.mode === 'drain' && !batch.holdFull) return 'queue-empty';
      continue; // continuous: the long poll came back empty, listen again
    }
    totals.batches += 1;
    totals.received += batch.messages;
    const processed = await processBatch(run, batch);
    settle(settlement.add(batch, processed.deletable, processed.droppable));
    if (!processed.published) return 'step-failed';
  }
}

/**
 * Continuous mode, light load: one lane receives at a time while the others process or wait (a condition: no timer,
 * no action), so a trickle is not split into one-message batches and an idle queue costs one long poll at a time. In
 * a backlog every lane receives. A lane waiting its turn settles what it holds once a receive finds the queue quiet.
 * The caller gives the turn back (run.receiving) when its receive returns.
 */
async function takeTurn(run: Run, settleWaiting: () => void): Promise<void> {
  for (;;) {
    const quiet = run.emptyReceives;
    await condition(() => run.backlog || run.receiving === 0 || run.emptyReceives !== quiet);
    if (run.emptyReceives !== quiet) settleWaiting();
    if (run.backlog || run.receiving === 0) {
      run.receiving += 1; // claimed here, in the same step as the check: two waiting lanes cannot both pass
      return;
    }
  }
}

interface Processed {
  /** False: a step failed after its retries; the lane stops (the batch's messages reappear once let go). */
  published: boolean;
  /** Messages whose every event is on the stream (G1): they may leave the queue. */
  deletable: number;
  /** Invalid messages, to drop whatever happens to their valid neighbours (G4). */
  droppable: number;
}

/**
 * Validates a held batch and publishes its valid messages; what may then leave the queue goes to the lane's
 * settlement (workflows/settlement.ts). A batch whose worker is gone is abandoned: counted, and its messages reappear
 * after their visibility timeout (G5) with the same event ids (G3).
 */
async function processBatch(run: Run, batch: ReceivedBatch): Promise<Processed> {
  const { input, totals } = run;
  const steps = batchSteps(batch.taskQueue);
  const ref = { batchId: batch.batchId };
  const nothing: Processed = { published: true, deletable: 0, droppable: 0 };
  const validated = await runStep(totals, 'validate', batch.messages, () =>
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
  if (validated === ABANDONED) return (abandon(run, batch), nothing);
  if (validated === undefined) return { ...nothing, published: false };
  recordValidated(totals, validated);
  const invalidOnly: Processed = { ...nothing, droppable: validated.invalid };
  if (validated.valid === 0) return invalidOnly;

  const published = await runStep(totals, 'publish', validated.valid, () =>
    steps.publishEvents.executeWithOptions(
      { summary: `publish ${validated.events} events of ${validated.valid} submissions` },
      [ref],
    ),
  );
  if (published === ABANDONED) return (abandon(run, batch), nothing);
  if (published === undefined) return { ...invalidOnly, published: false };
  totals.eventsPublished += published.eventsPublished + published.resumedEvents;
  totals.publishRetriedEntries += published.retriedEntries;
  // Only now, with every event acknowledged, may the valid messages leave the queue (G1, docs/contract.md).
  return { ...invalidOnly, deletable: validated.valid };
}

function recordValidated(totals: RunTotals, validated: ValidatedBatch): void {
  totals.valid += validated.valid;
  recordInvalid(totals, { byReason: validated.invalidByReason, samples: validated.invalidSamples });
  recordUnknownFields(totals, {
    submissions: validated.unknownFieldSubmissions,
    byPath: validated.unknownFieldsByPath,
  });
}

function receiveSummary(input: DrainInput): string {
  return `receive up to ${input.maxNumberOfMessages * input.receivesPerBatch} messages (${input.receivesPerBatch} × ${input.maxNumberOfMessages})`;
}
