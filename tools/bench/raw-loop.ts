import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';
import { keepLease } from '../../src/sqs/lease';
import type { PutRecordsBatcher } from '../../src/publish/put-records-batcher';
import { DEFAULT_VALIDATION_LIMITS } from '../../src/domain/limits';
import { renderSubmission } from '../../src/domain/render-submission';
import type { DrainInput } from '../../workflows/drain-input';
import { applyResults, isComplete, planRound, type AckProgress, type SubmissionRecords } from '../../src/publish/plan';

/**
 * The raw baseline: the same pipeline as a plain Node loop, without Temporal, doing the same work. Same batching
 * (a batch grows while receive answers come back full, up to receivesPerBatch × maxNumberOfMessages; lanes in
 * parallel), the processing time taken once receiving ended, the same domain code (renderSubmission), the same
 * publish plan (planRound/applyResults: at most one unacknowledged event per submission per request, every entry
 * checked, failed entries retried) through the same worker-level PutRecords batcher, delete only after publish
 * (every entry checked, off the lane's path as in the product), invalid messages deleted beside, and the lease kept
 * by visibility extensions. What it lacks is durability: a crash loses its progress.
 */
export interface RawStats {
  received: number;
  valid: number;
  invalid: number;
  eventsPublished: number;
  putRecordsRequests: number;
  deleted: number;
  retriedEntries: number;
}

interface Received {
  messageId: string;
  receiptHandle: string;
  body: string;
  sentAtMs: number | null;
  /** Clock before the receive that returned it: the lease's first extension counts from here, as the product's. */
  receivedAtMs: number;
}

interface Judged extends Received {
  records: string[] | null;
  partitionKey: string;
}

interface RawDeps {
  sqs: SQSClient;
  kinesis: KinesisClient;
  queueUrl: string;
  streamName: string;
  batcher: PutRecordsBatcher;
}

export async function runRawLoop(deps: RawDeps, input: DrainInput): Promise<RawStats> {
  const stats: RawStats = {
    received: 0,
    valid: 0,
    invalid: 0,
    eventsPublished: 0,
    putRecordsRequests: 0,
    deleted: 0,
    retriedEntries: 0,
  };
  await Promise.all(Array.from({ length: input.lanes }, () => rawLane(deps, input, stats)));
  return stats;
}

async function rawLane(deps: RawDeps, input: DrainInput, stats: RawStats): Promise<void> {
  const deletes: Promise<void>[] = [];
  for (;;) {
    if (deletes.length >= 2) await deletes.shift();
    const received = await receiveBatch(deps, input);
    if (received.length === 0) break;
    const lease = keepLease({ ...deps, log: console }, () => received, input.visibilityTimeoutSeconds);
    const batch = judge(received, input);
    stats.received += batch.length;
    const valid = batch.filter((m) => m.records !== null);
    const invalid = batch.filter((m) => m.records === null);
    stats.valid += valid.length;
    stats.invalid += invalid.length;
    await publish(
      deps,
      valid.map((m) => ({ messageId: m.messageId, partitionKey: m.partitionKey, records: m.records ?? [] })),
      stats,
    );
    deletes.push(
      Promise.all([deleteAll(deps, valid, stats), deleteAll(deps, invalid, stats)]).then(() => lease.release()),
    );
  }
  await Promise.all(deletes);
}

async function receiveBatch(deps: { sqs: SQSClient; queueUrl: string }, input: DrainInput): Promise<Received[]> {
  const byId = new Map<string, Received>();
  for (let i = 0; i < input.receivesPerBatch; i++) {
    const receivedAtMs = Date.now();
    const response = await deps.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: deps.queueUrl,
        MaxNumberOfMessages: input.maxNumberOfMessages,
        VisibilityTimeout: input.visibilityTimeoutSeconds,
        WaitTimeSeconds: i === 0 ? input.receiveWaitSeconds : 0,
        MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount', 'ApproximateFirstReceiveTimestamp'],
      }),
    );
    const messages = response.Messages ?? [];
    for (const m of messages) {
      if (!m.MessageId || !m.ReceiptHandle) continue;
      const previous = byId.get(m.MessageId);
      if (previous) {
        previous.receiptHandle = m.ReceiptHandle;
        continue;
      }
      const sent = Number(m.Attributes?.SentTimestamp);
      byId.set(m.MessageId, {
        messageId: m.MessageId,
        receiptHandle: m.ReceiptHandle,
        body: m.Body ?? '',
        sentAtMs: Number.isFinite(sent) ? sent : null,
        receivedAtMs,
      });
    }
    if (messages.length < input.maxNumberOfMessages) break;
  }
  return [...byId.values()];
}

/** Validated and transformed once receiving ended, as the product's validate step does. */
function judge(messages: readonly Received[], input: DrainInput): Judged[] {
  const processedAt = new Date();
  return messages.map((m) => {
    const result = renderSubmission(m.body, {
      messageId: m.messageId,
      processedAt,
      includeProvenance: input.includeProvenance,
      partitionKeyField: input.partitionKey,
      limits: DEFAULT_VALIDATION_LIMITS,
    });
    return {
      ...m,
      records: result.valid ? result.records : null,
      partitionKey: result.valid ? result.partitionKey : '',
    };
  });
}

async function publish(deps: RawDeps, submissions: SubmissionRecords[], stats: RawStats): Promise<void> {
  const progress: AckProgress = {};
  let failuresInARow = 0;
  while (!submissions.every((s) => isComplete(s, progress))) {
    const requests = planRound(submissions, progress);
    const outcomes = await Promise.all(
      requests.map(async (entries) => {
        stats.putRecordsRequests += 1;
        try {
          return applyResults(progress, entries, await deps.batcher.put(entries));
        } catch {
          return {
            acknowledged: 0,
            failed: entries.map((entry) => ({ entry, errorCode: 'Request', errorMessage: '' })),
          };
        }
      }),
    );
    const acknowledged = outcomes.reduce((s, o) => s + o.acknowledged, 0);
    const failed = outcomes.reduce((s, o) => s + o.failed.length, 0);
    stats.eventsPublished += acknowledged;
    stats.retriedEntries += failed;
    if (failed === 0) continue;
    failuresInARow = acknowledged === 0 ? failuresInARow + 1 : 0;
    if (failuresInARow >= 8) throw new Error(`raw loop: PutRecords made no progress in ${failuresInARow} rounds`);
    await sleep(Math.min(5_000, 100 * 2 ** failuresInARow));
  }
}

async function deleteAll(
  deps: { sqs: SQSClient; queueUrl: string },
  messages: readonly Received[],
  stats: RawStats,
): Promise<void> {
  let pending = [...messages];
  for (let round = 0; pending.length > 0; round++) {
    if (round >= 8) throw new Error(`raw loop: ${pending.length} deletes kept failing`);
    const failed: Received[] = [];
    for (let start = 0; start < pending.length; start += 10) {
      const chunk = pending.slice(start, start + 10);
      const response = await deps.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: deps.queueUrl,
          Entries: chunk.map((m, i) => ({ Id: String(i), ReceiptHandle: m.receiptHandle })),
        }),
      );
      const ok = new Set((response.Successful ?? []).map((s) => s.Id));
      chunk.forEach((m, i) => {
        if (ok.has(String(i))) stats.deleted += 1;
        else failed.push(m);
      });
    }
    stats.retriedEntries += failed.length;
    pending = failed;
    if (pending.length > 0) await sleep(100 * 2 ** round);
  }
}
