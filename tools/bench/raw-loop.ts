import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';
import { bodyForTransit } from '../../src/domain/decode-body';
import { DEFAULT_VALIDATION_LIMITS } from '../../src/domain/limits';
import { transformSubmission } from '../../src/domain/transform-submission';
import type { DrainInput } from '../../workflows/drain-input';
import { applyResults, isComplete, planRound, type AckProgress, type SubmissionRecords } from '../../src/publish/plan';

/**
 * The raw baseline: the same pipeline as a plain Node loop, without Temporal. Same batching (receivesPerBatch ×
 * maxNumberOfMessages per batch, the same byte budget, lanes in parallel), same domain code (transformSubmission),
 * same publish plan (planRound/applyResults: at most one unacknowledged event per submission per request, every
 * entry checked, failed entries retried), delete only after publish (every entry checked), invalid messages deleted
 * at once, and the lease kept by visibility extensions. What it lacks is durability: a crash loses its progress.
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
  records: string[] | null;
  partitionKey: string;
  sentAtMs: number | null;
}

export async function runRawLoop(
  deps: { sqs: SQSClient; kinesis: KinesisClient; queueUrl: string; streamName: string },
  input: DrainInput,
): Promise<RawStats> {
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

async function rawLane(
  deps: { sqs: SQSClient; kinesis: KinesisClient; queueUrl: string; streamName: string },
  input: DrainInput,
  stats: RawStats,
): Promise<void> {
  for (;;) {
    const batch = await receiveBatch(deps, input);
    if (batch.length === 0) return;
    stats.received += batch.length;
    const valid = batch.filter((m) => m.records !== null);
    const invalid = batch.filter((m) => m.records === null);
    stats.valid += valid.length;
    stats.invalid += invalid.length;
    const lease = keepLease(deps, batch, input.visibilityTimeoutSeconds);
    try {
      await Promise.all([
        (async () => {
          await publish(
            deps,
            valid.map((m) => ({ messageId: m.messageId, partitionKey: m.partitionKey, records: m.records ?? [] })),
            stats,
          );
          await deleteAll(deps, valid, stats);
        })(),
        deleteAll(deps, invalid, stats),
      ]);
    } finally {
      clearInterval(lease);
    }
  }
}

async function receiveBatch(deps: { sqs: SQSClient; queueUrl: string }, input: DrainInput): Promise<Received[]> {
  const byId = new Map<string, Received>();
  const overBudget: string[] = [];
  let budgetUsed = 0;
  const processedAt = new Date();
  for (let i = 0; i < input.receivesPerBatch && overBudget.length === 0; i++) {
    const response = await deps.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: deps.queueUrl,
        MaxNumberOfMessages: input.maxNumberOfMessages,
        VisibilityTimeout: input.visibilityTimeoutSeconds,
        WaitTimeSeconds: i === 0 ? input.receiveWaitSeconds : 0,
        MessageSystemAttributeNames: ['SentTimestamp'],
      }),
    );
    const messages = response.Messages ?? [];
    if (messages.length === 0) break;
    for (const m of messages) {
      if (!m.MessageId || !m.ReceiptHandle) continue;
      const previous = byId.get(m.MessageId);
      if (previous) {
        previous.receiptHandle = m.ReceiptHandle;
        continue;
      }
      const body = m.Body ?? '';
      const bodyBytes = Buffer.byteLength(body, 'utf8');
      const result =
        bodyBytes > DEFAULT_VALIDATION_LIMITS.maxBodyBytes
          ? null
          : transformSubmission(body, {
              messageId: m.MessageId,
              processedAt,
              includeProvenance: input.includeProvenance,
              partitionKeyField: input.partitionKey,
              limits: DEFAULT_VALIDATION_LIMITS,
            });
      const records = result?.valid ? result.records : null;
      // The same byte budget as the product's receive: bodies as they travel through its history (base64 as its
      // text where exactly reversible); the records never do, they are derived where they are published.
      const cost = Buffer.byteLength(bodyForTransit(body).body, 'utf8');
      if (byId.size > 0 && budgetUsed + cost > input.batchByteBudget) {
        overBudget.push(m.ReceiptHandle);
        continue;
      }
      budgetUsed += cost;
      const sent = Number(m.Attributes?.SentTimestamp);
      byId.set(m.MessageId, {
        messageId: m.MessageId,
        receiptHandle: m.ReceiptHandle,
        records,
        partitionKey: result?.valid ? result.partitionKey : '',
        sentAtMs: Number.isFinite(sent) ? sent : null,
      });
    }
  }
  for (let start = 0; start < overBudget.length; start += 10) {
    const chunk = overBudget.slice(start, start + 10);
    await deps.sqs
      .send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: deps.queueUrl,
          Entries: chunk.map((h, i) => ({ Id: String(i), ReceiptHandle: h, VisibilityTimeout: 0 })),
        }),
      )
      .catch(() => undefined);
  }
  return [...byId.values()];
}

async function publish(
  deps: { kinesis: KinesisClient; streamName: string },
  submissions: SubmissionRecords[],
  stats: RawStats,
): Promise<void> {
  const progress: AckProgress = {};
  let failuresInARow = 0;
  while (!submissions.every((s) => isComplete(s, progress))) {
    const requests = planRound(submissions, progress);
    const outcomes = await Promise.all(
      requests.map(async (entries) => {
        stats.putRecordsRequests += 1;
        try {
          const response = await deps.kinesis.send(
            new PutRecordsCommand({
              StreamName: deps.streamName,
              Records: entries.map((e) => ({ Data: Buffer.from(e.data, 'utf8'), PartitionKey: e.partitionKey })),
            }),
          );
          return applyResults(progress, entries, response.Records);
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

/** G5 for the raw loop: a fresh visibility timeout every third of it while the batch is being worked on. */
function keepLease(
  deps: { sqs: SQSClient; queueUrl: string },
  messages: readonly Received[],
  visibilityTimeoutSeconds: number,
): NodeJS.Timeout {
  return setInterval(
    () => {
      for (let start = 0; start < messages.length; start += 10) {
        const chunk = messages.slice(start, start + 10);
        void deps.sqs
          .send(
            new ChangeMessageVisibilityBatchCommand({
              QueueUrl: deps.queueUrl,
              Entries: chunk.map((m, i) => ({
                Id: String(i),
                ReceiptHandle: m.receiptHandle,
                VisibilityTimeout: visibilityTimeoutSeconds,
              })),
            }),
          )
          .catch(() => undefined);
      }
    },
    (visibilityTimeoutSeconds / 3) * 1000,
  );
}
