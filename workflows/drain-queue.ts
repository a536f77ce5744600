import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  continueAsNew,
  defineQuery,
  log,
  patched,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  DeleteResult,
  InvalidMessage,
  LeasedMessage,
  MessageGroup,
  MessageReceipt,
  PublishInput,
  ReceivedBatch,
  ReceivedMessage,
  RecordDerivation,
  SubmissionToPublish,
  TransformedBatch,
  TransformedBatchWithRecords,
} from '../activities/types';
import { drainInputSchema, laneByteBudget, type DrainInput, type DrainInputOverrides } from './drain-input';
import {
  describeTotals,
  emptyTotals,
  recordFailure,
  recordInvalid,
  recordUnknownFields,
  type LaneStop,
  type RunSummary,
  type RunTotals,
  type StageFailure,
} from './run-summary';
import { firstReceiveWaitSeconds, runDeadlineMs } from './run-timeout';
import { receivedVerdicts } from './verdicts';
import { PROGRESS_QUERY } from './names';
import { EVENTS_PUBLISHED, SUBMISSIONS_INVALID, SUBMISSIONS_RECEIVED } from './search-attributes';
import {
  deleteMessages,
  dropInvalidSubmissions,
  publishEvents,
  receiveSubmissions,
  validateAndTransform,
} from './activity-proxies';

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
 * One scheduled run: parallel lanes consume the queue batch by batch (receive and judge → publish → delete) until the
 * run budget is spent (continuous mode, the default: an empty long poll just polls again) or until the queue is empty
 * (drain mode). A message is deleted only after every one of its events is acknowledged.
 */
export async function drainQueue(rawInput?: DrainInputOverrides, carried?: CarriedState): Promise<RunSummary> {
  const input = parseInput(rawInput);
  const startedAtMs = carried?.startedAtMs ?? Date.now();
  // Totals carried from a run of older code lack the newer counters: they start at zero.
  const totals: RunTotals = { ...emptyTotals(), ...carried?.totals };
  const deadlineMs = runDeadlineMs(
    startedAtMs,
    input.runBudgetSeconds,
    workflowInfo().executionExpirationTime?.getTime(),
  );
  let activeLanes = input.lanes;
  setHandler(progressQuery, () => ({ ...totals, activeLanes, input }));

  // Runs started by code before this patch delete before they receive again; replaying them must do the same.
  const deleteInBackground = patched(DELETE_IN_BACKGROUND_PATCH);
  const groupsTogether = patched(DEFERRED_GROUPS_TOGETHER_PATCH);
  const verdictsOnReceive = patched(RECEIVE_VERDICTS_PATCH);
  const lanes = await Promise.all(
    Array.from({ length: input.lanes }, async () => {
      const lane = { deletes: new LaneDeletes(deleteInBackground), groupsTogether, verdictsOnReceive };
      const stop = await drainLane(input, totals, deadlineMs, lane);
      activeLanes -= 1;
      return stop;
    }),
  );

  if (input.searchAttributes) publishSearchAttributes(totals);
  if (lanes.includes('history-full') && !lanes.includes('stage-failed')) {
    // Workflow time is deterministic, so this decision replays identically.
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

/** Once per run (each upsert is a history event): lets operators filter runs in the UI. */
function publishSearchAttributes(totals: RunTotals): void {
  upsertSearchAttributes([
    { key: SUBMISSIONS_RECEIVED, value: totals.received },
    { key: SUBMISSIONS_INVALID, value: totals.invalid },
    { key: EVENTS_PUBLISHED, value: totals.eventsPublished },
  ]);
}

function parseInput(rawInput: unknown): DrainInput {
  const parsed = drainInputSchema.safeParse(rawInput ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
    throw ApplicationFailure.nonRetryable(`invalid run input: ${problems}`, 'InvalidDrainInput');
  }
  return parsed.data;
}

/**
 * A published batch's delete does not hold up its lane: the lane receives again while the messages are deleted (the
 * events are already on the stream, so the delete is off the latency path). At most one delete per lane is in flight;
 * a failed one stops the lane at its next step, and a lane never ends with a delete still open.
 */
export const DELETE_IN_BACKGROUND_PATCH = 'lane-deletes-in-background';

class LaneDeletes {
  private pending: Promise<boolean> = Promise.resolve(true);
  private failed = false;

  constructor(readonly inBackground: boolean) {}

  /**
   * Runs a delete: awaited at once, or (patched runs) started once the lane's earlier deletes ended, and left running.
   * Every delete started is awaited by `settled`, also when groups of one receive start theirs together.
   */
  async run(deletion: () => Promise<boolean>): Promise<boolean> {
    if (!this.inBackground) return deletion();
    if (!(await this.settled())) return false;
    const started = deletion().then((ok) => {
      this.failed ||= !ok;
      return ok;
    });
    this.pending = Promise.all([this.pending, started]).then(() => !this.failed);
    return true;
  }

  get hasFailed(): boolean {
    return this.failed;
  }

  /** Waits for the delete in flight; false if any delete of this lane failed. */
  async settled(): Promise<boolean> {
    await this.pending;
    return !this.failed;
  }
}

/**
 * The groups of one receive (the batch and the messages deferred over its byte budget) go through validate → publish
 * together: a large submission deferred behind the batch no longer waits for it, so several large publishes overlap
 * (their rounds share PutRecords requests through the worker's batcher). Runs of older code process them in turn.
 */
export const DEFERRED_GROUPS_TOGETHER_PATCH = 'lane-deferred-groups-together';

/**
 * The receive step judges the messages it keeps (it must, to cost them exactly) and returns the verdicts, so a batch
 * goes receive → publish with no validate step between: one activity, one workflow task and one copy of the bodies in
 * history fewer per batch. Runs of older code validate separately; so does any batch whose receive came back without
 * verdicts (answered by a worker of older code during a rolling deploy), decided from the recorded result alone.
 */
export const RECEIVE_VERDICTS_PATCH = 'lane-verdicts-on-receive';

interface Lane {
  deletes: LaneDeletes;
  groupsTogether: boolean;
  verdictsOnReceive: boolean;
}

async function drainLane(input: DrainInput, totals: RunTotals, deadlineMs: number, lane: Lane): Promise<LaneStop> {
  const stop = await consumeUntilStop(input, totals, deadlineMs, lane);
  return (await lane.deletes.settled()) ? stop : 'stage-failed';
}

async function consumeUntilStop(
  input: DrainInput,
  totals: RunTotals,
  deadlineMs: number,
  { deletes, groupsTogether, verdictsOnReceive }: Lane,
): Promise<LaneStop> {
  const byteBudget = laneByteBudget(input);
  let expectedMessageBytes = 0;
  for (;;) {
    if (deletes.hasFailed) return 'stage-failed';
    if (Date.now() >= deadlineMs) return 'run-budget-spent';
    if (workflowInfo().continueAsNewSuggested) return 'history-full';

    const waitTimeSeconds = firstReceiveWaitSeconds(input, Date.now(), deadlineMs);
    const batch = await attempt(totals, 'receive', 0, () =>
      receiveSubmissions.executeWithOptions({ summary: receiveSummary(input, verdictsOnReceive) }, [
        {
          maxNumberOfMessages: input.maxNumberOfMessages,
          receives: input.receivesPerBatch,
          visibilityTimeoutSeconds: input.visibilityTimeoutSeconds,
          waitTimeSeconds,
          byteBudget,
          includeProvenance: input.includeProvenance,
          partitionKey: input.partitionKey,
          expectedMessageBytes,
          ...(input.validationLimits ? { limits: input.validationLimits } : {}),
          ...(verdictsOnReceive ? { verdicts: true, unknownFields: input.unknownFields } : {}),
        },
      ]),
    );
    if (batch === undefined) return 'stage-failed';
    if (batch.messages.length === 0) {
      if (input.mode === 'drain') return 'queue-empty';
      // Continuous: the long poll came back empty, so the queue was idle for a whole wait; listen again.
      continue;
    }
    expectedMessageBytes = batch.largestMessageBytes ?? 0;
    const groups = batchGroups(batch);
    totals.received += groups.reduce((sum, g) => sum + g.messages.length, 0);
    totals.releasedOverBudget += batch.releasedOverBudget;
    totals.deferredOverBudget += groups.slice(1).reduce((n, g) => n + g.messages.length, 0);

    const { derivation } = batch;
    // Deferred messages are still held: they are processed before this lane receives again (never released twice).
    if (groupsTogether) {
      totals.batches += groups.length;
      const heavy = (g: MessageGroup): boolean => g.payloadBytes > byteBudget;
      const outcomes = await Promise.all(
        groups.map((g) =>
          processBatch(input, totals, { messages: g.messages, heavy: heavy(g), waiting: [], deletes, derivation }),
        ),
      );
      if (!outcomes.every(Boolean)) return 'stage-failed';
      continue;
    }
    // In turn (older runs): each publish keeps the lease of the groups still waiting, or they would reappear meanwhile.
    for (const [index, group] of groups.entries()) {
      totals.batches += 1;
      const waiting = groups.slice(index + 1).flatMap((g) => g.messages.map(leasedMessage));
      const batch = { messages: group.messages, heavy: group.payloadBytes > byteBudget, waiting, deletes, derivation };
      const completed = await processBatch(input, totals, batch);
      if (!completed) return 'stage-failed';
    }
  }
}

function leasedMessage({ messageId, receiptHandle, receivedAtMs }: ReceivedMessage): LeasedMessage {
  return { messageId, receiptHandle, ...(receivedAtMs === undefined ? {} : { receivedAtMs }) };
}

function batchGroups(batch: ReceivedBatch): MessageGroup[] {
  return [{ messages: batch.messages, payloadBytes: batch.payloadBytes ?? 0 }, ...(batch.deferred ?? [])];
}

let heavyCommandPending = false;

/**
 * Schedules an activity whose input may exceed its lane's share of the workflow-task limit (a batch over its lane's
 * budget: one message larger than the budget, always kept) in a workflow task of its own among such activities: the
 * next one waits until a 1 ms timer, started in the same task, has fired, so a later task completes it. Together with
 * the lane budgets (LANES_PAYLOAD_POOL_BYTES in workflows/drain-input.ts) every completion stays within the 4 MiB limit,
 * while the activities themselves still run in parallel. Workflow state and a timer: it replays deterministically.
 */
async function scheduledAlone<T>(heavy: boolean, schedule: () => Promise<T>): Promise<T> {
  if (!heavy) return schedule();
  // Every waiter's condition is checked before any of them resumes: each one checks again once it runs.
  while (heavyCommandPending) await condition(() => !heavyCommandPending);
  heavyCommandPending = true;
  const result = schedule();
  // Handled here so a fast failure is not "unhandled" while we wait; the caller still sees it.
  result.catch(() => undefined);
  try {
    await sleep(1);
  } finally {
    heavyCommandPending = false;
  }
  return result;
}

function receiveSummary(input: DrainInput, judging: boolean): string {
  const most = input.maxNumberOfMessages * input.receivesPerBatch;
  return `${judging ? 'receive and judge' : 'receive'} up to ${most} messages (${input.receivesPerBatch} × ${input.maxNumberOfMessages}, ≤ ${Math.round(laneByteBudget(input) / 1024)} KiB)`;
}

/**
 * Validates a batch, then publishes-then-deletes the valid submissions while the invalid ones are deleted. `waiting`
 * are messages of this receive still held for later batches: the publish extends their visibility with its own.
 */
interface LaneBatch {
  messages: ReceivedMessage[];
  /** Over the lane's byte budget: its activities are scheduled alone (scheduledAlone). */
  heavy: boolean;
  waiting: LeasedMessage[];
  deletes: LaneDeletes;
  /** The receive's derivation when it judged its messages (RECEIVE_VERDICTS_PATCH): no validate step then. */
  derivation?: RecordDerivation;
}

async function processBatch(input: DrainInput, totals: RunTotals, batch: LaneBatch): Promise<boolean> {
  const { messages, heavy } = batch;
  const transformed = receivedVerdicts(messages, batch.derivation) ?? (await validate(input, totals, batch));
  if (transformed === undefined) return false;
  totals.valid += transformed.valid.length;
  recordInvalid(totals, transformed.invalid);
  if (transformed.unknownFields) recordUnknownFields(totals, transformed.unknownFields);

  const byId = new Map(messages.map((m) => [m.messageId, m]));
  const receipts = new Map(messages.map((m): [string, LeasedMessage] => [m.messageId, leasedMessage(m)]));
  const receiptsOf = (ids: { messageId: string }[]): LeasedMessage[] =>
    ids.flatMap(({ messageId }) => receipts.get(messageId) ?? []);
  // Only the submissions actually handed to the publish are deleted after it (G1 no loss).
  const publishing = toPublish(transformed, byId);

  const [validDone, invalidDone] = await Promise.all([
    publishThenDelete(input, totals, publishing, receiptsOf(publishing.request.submissions), batch),
    dropInvalid(
      totals,
      heavy,
      transformed.invalid.flatMap((invalid) => {
        const message = byId.get(invalid.messageId);
        return message
          ? [
              {
                ...invalid,
                receiptHandle: message.receiptHandle,
                body: message.body,
                ...(message.bodyEncoding ? { bodyEncoding: message.bodyEncoding } : {}),
                bodyBytes: message.bodyBytes,
              },
            ]
          : [];
      }),
    ),
  ]);
  return validDone && invalidDone;
}

/** The validate step, for batches received without verdicts. A result of older code carries records instead. */
async function validate(
  input: DrainInput,
  totals: RunTotals,
  { messages, heavy }: LaneBatch,
): Promise<TransformedBatch | TransformedBatchWithRecords | undefined> {
  return attempt(totals, 'validate', messages.length, () =>
    scheduledAlone(heavy, () =>
      validateAndTransform.executeWithOptions({ summary: `validate ${messages.length} submissions` }, [
        {
          messages: messages.map(({ messageId, body, bodyEncoding, bodyBytes }) => ({
            messageId,
            body,
            ...(bodyEncoding ? { bodyEncoding } : {}),
            bodyBytes,
          })),
          partitionKey: input.partitionKey,
          includeProvenance: input.includeProvenance,
          unknownFields: input.unknownFields,
          ...(input.validationLimits ? { limits: input.validationLimits } : {}),
        },
      ]),
    ),
  );
}

/** What the publish step needs of a batch's valid submissions, with the number of events they make. */
interface ToPublish {
  request: PublishInput;
  submissions: number;
  events: number;
}

/**
 * The valid submissions' bodies (already held from the receive) and the validate step's derivation: the publish
 * derives the records itself, so they never cross the history. A validate result of older code carries records: they
 * are passed on as that code did, and the activity still accepts them.
 */
function toPublish(
  transformed: TransformedBatch | TransformedBatchWithRecords,
  byId: Map<string, ReceivedMessage>,
): ToPublish {
  if (transformed.derivation === undefined) {
    const submissions = transformed.valid.map(({ messageId, partitionKey, records }) => ({
      messageId,
      partitionKey,
      records,
      sentAtMs: byId.get(messageId)?.sentAtMs ?? null,
    }));
    const events = submissions.reduce((sum, s) => sum + s.records.length, 0);
    return { request: { submissions }, submissions: submissions.length, events };
  }
  const submissions = transformed.valid.flatMap(({ messageId, events }): SubmissionToPublish[] => {
    const message = byId.get(messageId);
    // Only a body over the size limit travels as null, and such a body is never valid.
    if (!message || message.body === null) return [];
    const { body, bodyEncoding, sentAtMs } = message;
    return [{ messageId, body, ...(bodyEncoding ? { bodyEncoding } : {}), events, sentAtMs }];
  });
  const events = submissions.reduce((sum, s) => sum + s.events, 0);
  return {
    request: { submissions, derivation: transformed.derivation },
    submissions: submissions.length,
    events,
  };
}

async function publishThenDelete(
  input: DrainInput,
  totals: RunTotals,
  toPublish: ToPublish,
  receipts: LeasedMessage[],
  { waiting, heavy, deletes }: LaneBatch,
): Promise<boolean> {
  const { request, submissions, events } = toPublish;
  if (submissions === 0) return true;
  const published = await attempt(totals, 'publish', submissions, () =>
    scheduledAlone(heavy, () =>
      publishEvents.executeWithOptions({ summary: `publish ${events} events of ${submissions} submissions` }, [
        {
          ...request,
          lease: { messages: [...receipts, ...waiting], visibilityTimeoutSeconds: input.visibilityTimeoutSeconds },
        },
      ]),
    ),
  );
  if (published === undefined) return false;
  totals.eventsPublished += published.eventsPublished + published.resumedEvents;
  totals.publishRetriedEntries += published.retriedEntries;
  totals.leaseExtensions += published.leaseExtensions;
  // Only now, with every event acknowledged, may these messages leave the queue (G1, docs/contract.md).
  return deletes.run(() => deleteBatch(totals, receipts, 'delete published'));
}

async function deleteBatch(totals: RunTotals, receipts: MessageReceipt[], purpose: string): Promise<boolean> {
  if (receipts.length === 0) return true;
  const deleted = await attempt(totals, 'delete', receipts.length, () =>
    deleteMessages.executeWithOptions({ summary: `${purpose}: ${receipts.length} messages` }, [{ messages: receipts }]),
  );
  if (deleted === undefined) return false;
  recordDeleted(totals, deleted);
  return true;
}

/** Invalid submissions leave the queue at once (copied to the quarantine queue first when one is configured). */
async function dropInvalid(totals: RunTotals, heavy: boolean, invalid: InvalidMessage[]): Promise<boolean> {
  if (invalid.length === 0) return true;
  const dropped = await attempt(totals, 'delete', invalid.length, () =>
    scheduledAlone(heavy, () =>
      dropInvalidSubmissions.executeWithOptions({ summary: `drop invalid: ${invalid.length} messages` }, [
        { messages: invalid },
      ]),
    ),
  );
  if (dropped === undefined) return false;
  recordDeleted(totals, dropped);
  totals.quarantined += dropped.quarantined;
  return true;
}

function recordDeleted(totals: RunTotals, deleted: DeleteResult): void {
  totals.deleted += deleted.deleted;
  totals.deleteRetriedEntries += deleted.retriedEntries;
  totals.staleReceipts += deleted.staleReceipts.length;
}

/**
 * Runs a stage; when its retry policy is exhausted, records the failure and returns undefined so the lane stops
 * while the other lanes finish their batches (a failed run must not abandon work in flight elsewhere).
 */
async function attempt<T>(
  totals: RunTotals,
  stage: StageFailure['stage'],
  messages: number,
  run: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    const error =
      err.cause instanceof ApplicationFailure ? `${err.cause.type ?? 'Error'}: ${err.cause.message}` : err.message;
    recordFailure(totals, { stage, messages, error });
    log.error('stage failed after retries; its messages stay in the queue', { stage, messages, error });
    return undefined;
  }
}
