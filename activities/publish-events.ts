import { PutRecordsCommand, type PutRecordsResultEntry } from '@aws-sdk/client-kinesis';
import { ApplicationFailure } from '@temporalio/common';
import { Context, log } from '@temporalio/activity';
import { PUBLISH_STALLED } from '../src/contracts/failure-types';
import {
  applyResults,
  isComplete,
  planRound,
  type AckProgress,
  type PutEntry,
  type SubmissionRecords,
} from '../src/publish/plan';
import type { ActivityDeps } from './deps';
import { backoffMs, DEFAULT_IN_ACTIVITY_RETRY } from '../src/aws/retry';
import { awsErrorName, isNonRetryableAwsError, toApplicationFailure } from '../src/aws/failure';
import { keepAlive, KEEP_ALIVE_MS } from './keep-alive';
import type { HeldBatch, HeldMessage } from './message-hold';
import { advancePastStreamedEvents, eventIdOf, withTimeCreated } from '../src/publish/stream-resume';
import { pipelineMetrics, type PipelineMetrics } from './metrics';
import type { BatchRequest, PublishResult } from '../src/contracts/batch-steps';

/**
 * How long a publish may spend reading the stream before sending: well inside its 5-minute start-to-close timeout (it
 * heartbeats meanwhile). A redelivered batch's scan reads everything sent since its first receive: ~34,000 records
 * when a worker was lost mid-backlog at 10,000 submissions (docs/reliability.md), more than 20 s on the local emulator.
 */
export const RESUME_SCAN_BUDGET_MS = 120_000;

/**
 * Publishes every event of the valid submissions of a held batch, in order per submission (see src/publish/plan.ts
 * for why that holds under partial failure). Failed entries are retried with backoff and jitter inside the attempt;
 * after too many rounds without progress the attempt fails and Temporal's retry policy takes over on this same worker,
 * resuming from the progress the batch keeps. Events that may already be on the stream (a redelivered message's, a
 * lost attempt's in-flight requests) are looked for there first, by event_id.
 */
export function createPublishEvents(deps: ActivityDeps) {
  const retry = { ...DEFAULT_IN_ACTIVITY_RETRY, ...deps.retry };

  async function putRecords(request: PutEntry[]): Promise<PutRecordsResultEntry[] | undefined> {
    // The worker's batcher packs this request with those of the other publish activities running beside it.
    if (deps.putRecordsBatcher) return deps.putRecordsBatcher.put(request, Context.current().cancellationSignal);
    const response = await deps.kinesis.send(
      new PutRecordsCommand({
        StreamName: deps.streamName,
        Records: request.map((entry) => ({ Data: Buffer.from(entry.data, 'utf8'), PartitionKey: entry.partitionKey })),
      }),
      { abortSignal: Context.current().cancellationSignal },
    );
    return response.Records;
  }

  /** Moves the batch's progress past events already on the stream, when any can be there. */
  async function resumeFromStream(batch: HeldBatch, submissions: HeldSubmission[]): Promise<number> {
    const sinceMs = mayBeOnStreamSince(batch, submissions);
    if (sinceMs === undefined) return 0;
    const scan = await advancePastStreamedEvents(
      deps.kinesis,
      deps.streamName,
      submissions.map((s) => s.records),
      batch.progress,
      { sinceMs, budgetMs: RESUME_SCAN_BUDGET_MS },
    );
    keepOneTimePerSubmission(submissions, scan.timesFound);
    pipelineMetrics().resumedFromStream(scan.found);
    const logged = { found: scan.found, recordsRead: scan.recordsRead, attempt: Context.current().info.attempt };
    if (scan.complete) log.info('events already on the stream are not sent again', logged);
    else log.warn('stream scan incomplete; some events may be sent twice', { ...logged, problem: scan.problem });
    return scan.found;
  }

  return async function publishEvents(request: BatchRequest): Promise<PublishResult> {
    return deps.hold.use(request.batchId, async (batch) => {
      // A retry never runs beside the attempt it replaces (both would send the same submissions' next records).
      await batch.publishing?.catch(() => undefined);
      const attempt = publishBatch(batch);
      batch.publishing = attempt;
      return attempt;
    });
  };

  async function publishBatch(batch: HeldBatch): Promise<PublishResult> {
    const submissions = validSubmissions(batch);
    const result: PublishResult = {
      eventsPublished: 0,
      submissions: submissions.length,
      putRecordsRequests: 0,
      retriedEntries: 0,
      resumedEvents: 0,
    };
    const stopKeepAlive = keepAlive(KEEP_ALIVE_MS);
    try {
      result.resumedEvents = await resumeFromStream(batch, submissions);
      batch.publishStartedAtMs ??= Date.now();
      await publishAll(
        submissions.map((s) => s.records),
        batch.progress,
        result,
        pipelineMetrics(),
      );
    } finally {
      stopKeepAlive();
    }
    return result;
  }

  async function publishAll(
    submissions: SubmissionRecords[],
    progress: AckProgress,
    result: PublishResult,
    metrics: PipelineMetrics,
  ): Promise<void> {
    const ctx = Context.current();
    let roundsWithoutProgress = 0;
    // Only the unfinished submissions are looked at each round: a large one keeps the loop going for hundreds of
    // rounds after its small neighbours are done.
    let pending = submissions.filter((s) => !isComplete(s, progress));
    const counts = new RoundCounts(metrics);
    try {
      while (pending.length > 0) {
        const requests = planRound(pending, progress);
        const outcomes = await Promise.all(
          requests.map(async (entries) => {
            result.putRecordsRequests += 1;
            try {
              return applyResults(progress, entries, await putRecords(entries));
            } catch (err) {
              if (isNonRetryableAwsError(err)) throw toApplicationFailure(err, 'PutRecords');
              // A throttled, failed or timed-out request: every entry counts as failed and is retried. A timed-out
              // request may still have landed; the retry then makes a duplicate with the same event_id (G3, docs/contract.md).
              const errorCode = awsErrorName(err);
              return {
                acknowledged: 0,
                failed: entries.map((entry) => ({ entry, errorCode, errorMessage: String(err) })),
              };
            }
          }),
        );
        const acknowledged = outcomes.reduce((sum, o) => sum + o.acknowledged, 0);
        const failed = outcomes.flatMap((o) => o.failed);
        result.eventsPublished += acknowledged;
        result.retriedEntries += failed.length;
        counts.add(acknowledged, requests.length, failed);
        pending = recordLagOfCompleted(pending, progress, metrics);

        if (failed.length === 0) {
          roundsWithoutProgress = 0;
          continue;
        }
        roundsWithoutProgress = acknowledged === 0 ? roundsWithoutProgress + 1 : 0;
        const codes = [...new Set(failed.map((f) => f.errorCode))].join(', ');
        if (roundsWithoutProgress >= retry.maxRoundsWithoutProgress) {
          throw ApplicationFailure.retryable(
            `PutRecords made no progress in ${roundsWithoutProgress} rounds (${failed.length} entries failing: ${codes})`,
            PUBLISH_STALLED,
          );
        }
        log.warn('PutRecords entries failed; retrying them', { failed: failed.length, acknowledged, codes });
        await ctx.sleep(backoffMs(retry, Math.max(1, roundsWithoutProgress)));
      }
    } finally {
      counts.flush();
    }
  }
}

/** How often a long publish reports its counters; the rest are reported when it ends (or fails). */
export const PUBLISH_METRICS_INTERVAL_MS = 1_000;

/**
 * The publish counters of a run of rounds, reported at most once per PUBLISH_METRICS_INTERVAL_MS and when the publish
 * ends: a large submission is hundreds of rounds of one event each, and reporting every round costs a metric
 * instrument per counter per round, on the path between a response and the next request (issue 25).
 */
class RoundCounts {
  private published = 0;
  private requests = 0;
  private readonly retried = new Map<string, number>();
  private reportedAtMs = Date.now();

  constructor(private readonly metrics: PipelineMetrics) {}

  add(acknowledged: number, requests: number, failed: readonly { errorCode: string }[]): void {
    this.published += acknowledged;
    this.requests += requests;
    for (const f of failed) this.retried.set(f.errorCode, (this.retried.get(f.errorCode) ?? 0) + 1);
    if (Date.now() - this.reportedAtMs >= PUBLISH_METRICS_INTERVAL_MS) this.flush();
  }

  flush(): void {
    this.reportedAtMs = Date.now();
    if (this.published > 0) this.metrics.published(this.published);
    if (this.requests > 0) this.metrics.putRecordsRequests(this.requests);
    for (const [code, count] of this.retried) this.metrics.publishRetriedEntries(count, code);
    this.published = 0;
    this.requests = 0;
    this.retried.clear();
  }
}

/**
 * Records the end-to-end lag of each submission whose last event was just acknowledged, and returns those still
 * unfinished, in order.
 */
function recordLagOfCompleted(
  pending: readonly SubmissionRecords[],
  progress: AckProgress,
  metrics: PipelineMetrics,
): SubmissionRecords[] {
  const now = Date.now();
  const stillPending: SubmissionRecords[] = [];
  for (const submission of pending) {
    if (!isComplete(submission, progress)) stillPending.push(submission);
    else if (typeof submission.sentAtMs === 'number') metrics.endToEndLagMs(now - submission.sentAtMs);
  }
  return stillPending;
}

interface HeldSubmission {
  records: SubmissionRecords;
  message: HeldMessage;
}

/**
 * A submission partly on the stream from an earlier delivery is completed with that delivery's processing time, so
 * all its events carry one time_created (docs/contract.md#output); the ids are the same either way (G3).
 */
function keepOneTimePerSubmission(submissions: readonly HeldSubmission[], timesFound: Map<string, string>): void {
  for (const { records } of submissions) {
    const earlier = records.records.map((r) => timesFound.get(eventIdOf(r) ?? '')).find((t) => t !== undefined);
    if (earlier === undefined) continue;
    records.records = records.records.map((r) => withTimeCreated(r, earlier));
  }
}

/** The batch's valid submissions, in the order they were received. */
function validSubmissions(batch: HeldBatch): HeldSubmission[] {
  return [...batch.messages.values()].flatMap((message) =>
    message.validation?.valid ? [{ records: message.validation.submission, message }] : [],
  );
}

/**
 * From when events of these submissions can already be on the stream: since the first attempt of this publish began
 * (a retry: the lost attempt's requests may have landed), or since a redelivered message was first received (its
 * earlier delivery may have been published before its worker was lost). Undefined: nothing can be there yet.
 */
export function mayBeOnStreamSince(
  batch: Pick<HeldBatch, 'publishStartedAtMs'>,
  submissions: readonly { message: Pick<HeldMessage, 'receiveCount' | 'firstReceivedAtMs' | 'receivedAtMs'> }[],
): number | undefined {
  const times = submissions
    .filter((s) => s.message.receiveCount > 1)
    .map((s) => s.message.firstReceivedAtMs ?? s.message.receivedAtMs - 12 * 3600 * 1000);
  if (batch.publishStartedAtMs !== undefined) times.push(batch.publishStartedAtMs);
  return times.length === 0 ? undefined : Math.min(...times);
}
