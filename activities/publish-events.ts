import { PutRecordsCommand, type PutRecordsResultEntry } from '@aws-sdk/client-kinesis';
import { ApplicationFailure } from '@temporalio/common';
import { Context, log } from '@temporalio/activity';
import { z } from 'zod';
import { PUBLISH_STALLED } from '../workflows/failure-types';
import { applyResults, isComplete, planRound, type AckProgress, type PutEntry } from '../src/publish/plan';
import { backoffMs, DEFAULT_IN_ACTIVITY_RETRY, type ActivityDeps } from './deps';
import { awsErrorName, isNonRetryableAwsError, toApplicationFailure } from './aws-failure';
import { keepLease } from './lease';
import { advancePastStreamedEvents } from './stream-resume';
import { pipelineMetrics, type PipelineMetrics } from './metrics';
import { recordsToPublish } from './publish-records';
import type { PublishInput, PublishRequest, PublishResult } from './types';

/**
 * Heartbeat details: what Kinesis already acknowledged, so a retried attempt resumes instead of re-publishing, and when
 * (worker clock): the retry scans the stream from there for what the lost attempt published after it. `atMs` is absent
 * in heartbeats of attempts that ran older code.
 */
const heartbeatSchema = z.object({
  progress: z.record(z.string(), z.number().int().nonnegative()),
  atMs: z.number().optional(),
});
type PublishHeartbeat = z.infer<typeof heartbeatSchema>;

function lastHeartbeat(): PublishHeartbeat | undefined {
  const parsed = heartbeatSchema.safeParse(Context.current().info.heartbeatDetails);
  return parsed.success ? { ...parsed.data, progress: { ...parsed.data.progress } } : undefined;
}

/** How long a retry may spend reading the stream: well inside publish's 45 s heartbeat timeout (it heartbeats too). */
const RESUME_SCAN_BUDGET_MS = 20_000;

/**
 * Publishes every event of every submission, in order per submission (see src/publish/plan.ts for why that holds
 * under partial failure). Failed entries are retried with backoff and jitter inside the attempt; after too many rounds
 * without progress the attempt fails and Temporal's retry policy takes over, resuming from the heartbeat.
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

  /**
   * A retry's starting point: the last recorded progress, moved past what the lost attempt left on the stream after
   * it. Without a heartbeat with a time (the attempt died in its first round, or ran older code) the lost attempt
   * began after the activity was first scheduled, so the scan starts there.
   */
  async function resumedProgress(request: PublishRequest): Promise<AckProgress> {
    const ctx = Context.current();
    const heartbeat = lastHeartbeat();
    const progress = heartbeat?.progress ?? {};
    if (!heartbeat && ctx.info.attempt <= 1) return progress;
    const sinceMs = heartbeat?.atMs ?? ctx.info.scheduledTimestampMs;
    const scan = await advancePastStreamedEvents(deps.kinesis, deps.streamName, request.submissions, progress, {
      heartbeatAtMs: sinceMs,
      budgetMs: RESUME_SCAN_BUDGET_MS,
      // Keeps the attempt alive, and keeps the scan's start for the next attempt should this one die too.
      onPage: () => ctx.heartbeat({ progress: heartbeat?.progress ?? {}, atMs: sinceMs } satisfies PublishHeartbeat),
    });
    pipelineMetrics().resumedFromStream(scan.found);
    const logged = { found: scan.found, recordsRead: scan.recordsRead, attempt: ctx.info.attempt };
    if (scan.complete) log.info('retried publish: events already on the stream are not sent again', logged);
    else
      log.warn('retried publish: stream scan incomplete; some events may be sent twice', {
        ...logged,
        problem: scan.problem,
      });
    return progress;
  }

  return async function publishEvents(input: PublishInput): Promise<PublishResult> {
    // Before anything is sent: a body that does not derive its validated records fails the whole batch.
    const request = recordsToPublish(input, deps.judgedRecords);
    const metrics = pipelineMetrics();
    // Held from the start: a retry's stream scan may take seconds before the first round.
    const lease = request.lease
      ? keepLease(deps, request.lease.messages, request.lease.visibilityTimeoutSeconds)
      : undefined;
    const result: PublishResult = {
      eventsPublished: 0,
      submissions: request.submissions.length,
      putRecordsRequests: 0,
      retriedEntries: 0,
      resumedEvents: 0,
      leaseExtensions: 0,
    };
    try {
      const progress = await resumedProgress(request);
      result.resumedEvents = Object.values(progress).reduce((sum, n) => sum + n, 0);
      await publishAll(request, progress, result, metrics);
    } finally {
      lease?.release();
      result.leaseExtensions = lease?.extensions() ?? 0;
      metrics.visibilityExtensions(result.leaseExtensions);
    }
    return result;
  };

  async function publishAll(
    request: PublishRequest,
    progress: AckProgress,
    result: PublishResult,
    metrics: PipelineMetrics,
  ): Promise<void> {
    const ctx = Context.current();
    let roundsWithoutProgress = 0;
    const completed = new Set(request.submissions.filter((s) => isComplete(s, progress)).map((s) => s.messageId));

    while (!request.submissions.every((s) => isComplete(s, progress))) {
      const requests = planRound(request.submissions, progress);
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
      metrics.published(acknowledged);
      metrics.putRecordsRequests(requests.length);
      for (const [code, count] of countBy(failed.map((f) => f.errorCode))) metrics.publishRetriedEntries(count, code);
      recordLagOfCompleted(request, progress, completed, metrics);
      // Not once every event is acknowledged: the activity returns next, and a heartbeat would race its completion
      // (see onProgress in activities/sqs-batch.ts).
      if (!request.submissions.every((s) => isComplete(s, progress))) {
        ctx.heartbeat({ progress, atMs: Date.now() } satisfies PublishHeartbeat);
      }

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
  }
}

function countBy(values: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

/** End-to-end lag of each submission whose last event was just acknowledged. */
function recordLagOfCompleted(
  request: PublishRequest,
  progress: AckProgress,
  completed: Set<string>,
  metrics: PipelineMetrics,
): void {
  const now = Date.now();
  for (const submission of request.submissions) {
    if (completed.has(submission.messageId) || !isComplete(submission, progress)) continue;
    completed.add(submission.messageId);
    if (typeof submission.sentAtMs === 'number') metrics.endToEndLagMs(now - submission.sentAtMs);
  }
}
