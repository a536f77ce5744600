import { SendMessageBatchCommand, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { Context } from '@temporalio/activity';
import { z } from 'zod';
import type { InvalidReason } from '../src/domain/reasons';
import { QUARANTINE_INCOMPLETE } from '../src/contracts/failure-types';
import { deleteProgressSchema, deleteResumable, NO_DELETE_PROGRESS, sumCounts } from './delete-messages';
import type { ActivityDeps } from './deps';
import { DEFAULT_IN_ACTIVITY_RETRY } from '../src/aws/retry';
import { keepAlive, KEEP_ALIVE_MS } from './keep-alive';
import type { HeldBatch } from './message-hold';
import { entryOutcomes, sendWithEntryRetries } from '../src/sqs/batch';
import type { DropInvalidResult, MessageReceipt, SettleRequest } from '../src/contracts/batch-steps';

/** An invalid message as its worker holds it: the body exactly as the sensor sent it, and why it was refused. */
export interface InvalidMessage extends MessageReceipt {
  reason: InvalidReason;
  detail: string;
  body: string;
  bodyBytes: number;
}

/** What lands in the quarantine queue: the original body untouched, with why it was refused. */
export function quarantineRecord(message: InvalidMessage, quarantinedAt: Date): string {
  return JSON.stringify({
    original_message_id: message.messageId,
    reason: message.reason,
    detail: message.detail,
    quarantined_at: quarantinedAt.toISOString(),
    body: message.body,
    body_bytes: message.bodyBytes,
  });
}

/**
 * Progress kept with the batch: the quarantine copies settled (copied, or refused for good) and the deletes settled, in one
 * object so that the delete phase's records never erase the quarantine phase's (a retried attempt re-copying what
 * is already in the quarantine queue would duplicate it).
 */
const progressSchema = z.object({
  quarantine: z.object({ copied: z.array(z.string()), refused: z.array(z.string()) }),
  deleted: deleteProgressSchema,
});
type DropProgress = z.infer<typeof progressSchema>;

const NO_PROGRESS: DropProgress = { quarantine: { copied: [], refused: [] }, deleted: NO_DELETE_PROGRESS };

interface QuarantineEntry {
  message: InvalidMessage;
  entry: SendMessageBatchRequestEntry;
}

/** Bytes SQS counts for an entry against the request's limit: body plus each attribute's name, type and value. */
export function entryBytes(entry: SendMessageBatchRequestEntry): number {
  let bytes = Buffer.byteLength(entry.MessageBody ?? '', 'utf8');
  for (const [name, value] of Object.entries(entry.MessageAttributes ?? {})) {
    bytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value.DataType ?? '', 'utf8');
    bytes += Buffer.byteLength(value.StringValue ?? '', 'utf8') + (value.BinaryValue?.byteLength ?? 0);
  }
  return bytes;
}

/**
 * Drops invalid submissions: with a quarantine queue configured, first copies each (body + reason) there — every entry
 * checked, failures retried, requests sized by bytes — and only then deletes it from the submissions queue. Progress of
 * both phases is kept with the batch after every request, so a retried attempt neither copies a message twice nor deletes
 * one that was not copied. (A copy whose answer was lost, e.g. a timeout after SQS stored it, or made by a worker killed
 * before it deleted the original, can still appear twice; `original_message_id` identifies duplicates.)
 */
export function createDropInvalidSubmissions(
  deps: Pick<ActivityDeps, 'sqs' | 'queueUrl' | 'retry' | 'quarantineQueueUrl' | 'now' | 'hold'>,
) {
  const retry = { ...DEFAULT_IN_ACTIVITY_RETRY, ...deps.retry };
  const now = deps.now ?? (() => new Date());

  return async function dropInvalidSubmissions(request: SettleRequest): Promise<DropInvalidResult> {
    const stopKeepAlive = keepAlive(KEEP_ALIVE_MS);
    try {
      const { results, notHeld } = await deps.hold.useEach(request.batchIds, async (batch) => {
        const result = await drop(batch, invalidMessages(batch));
        deps.hold.settle(batch.id, result.settled);
        return result.counts;
      });
      const zero = { deleted: 0, retriedEntries: 0, staleReceipts: 0, quarantined: 0, notQuarantined: 0 };
      return { notHeld, ...sumCounts(zero, results) };
    } finally {
      stopKeepAlive();
    }
  };

  async function drop(
    batch: HeldBatch,
    messages: InvalidMessage[],
  ): Promise<{ counts: Omit<DropInvalidResult, 'notHeld'>; settled: string[] }> {
    const parsed = progressSchema.safeParse(batch.stepProgress.get(DROP_STEP));
    const resumed = parsed.success ? parsed.data : NO_PROGRESS;
    const record = (progress: DropProgress): void => void batch.stepProgress.set(DROP_STEP, progress);
    const quarantineQueueUrl = deps.quarantineQueueUrl;
    const quarantine = quarantineQueueUrl
      ? await copyToQuarantine(quarantineQueueUrl, messages, resumed, record)
      : undefined;
    // A copy SQS refuses for good (e.g. too large for the quarantine queue) must not cost the original: it stays
    // in the submissions queue and, after maxReceiveCount, moves to the dead-letter queue.
    const copied = new Set(quarantine?.copied ?? []);
    const toDelete = quarantine ? messages.filter((m) => copied.has(m.messageId)) : messages;
    const settledQuarantine = quarantine ?? NO_PROGRESS.quarantine;
    record({ quarantine: settledQuarantine, deleted: resumed.deleted });
    const deleted = await deleteResumable(
      deps,
      retry,
      { messages: toDelete.map(({ messageId, receiptHandle }) => ({ messageId, receiptHandle })) },
      resumed.deleted,
      (progress) => record({ quarantine: settledQuarantine, deleted: progress }),
    );
    return {
      counts: {
        deleted: deleted.deleted,
        retriedEntries: deleted.retriedEntries,
        staleReceipts: deleted.staleReceipts,
        quarantined: quarantine ? messages.filter((m) => copied.has(m.messageId)).length : 0,
        notQuarantined: messages.length - toDelete.length,
      },
      // Refused copies are let go too: they reappear in the queue and, in time, move to the dead-letter queue.
      settled: messages.map((m) => m.messageId),
    };
  }

  async function copyToQuarantine(
    queueUrl: string,
    messages: InvalidMessage[],
    resumed: DropProgress,
    record: (progress: DropProgress) => void,
  ): Promise<DropProgress['quarantine']> {
    const ctx = Context.current();
    const settled = new Set([...resumed.quarantine.copied, ...resumed.quarantine.refused]);
    const quarantinedAt = now();
    const items: QuarantineEntry[] = messages
      .filter((m) => !settled.has(m.messageId))
      .map((message) => ({
        message,
        entry: {
          Id: '0', // replaced by the index within its request
          MessageBody: quarantineRecord(message, quarantinedAt),
          MessageAttributes: { reason: { DataType: 'String', StringValue: message.reason } },
        },
      }));
    const progressWith = (ok: string[], rejected: string[]): DropProgress['quarantine'] => ({
      copied: [...resumed.quarantine.copied, ...ok],
      refused: [...resumed.quarantine.refused, ...rejected],
    });
    const outcome = await sendWithEntryRetries({
      action: 'SendMessageBatch (quarantine)',
      items,
      keyOf: (item) => item.message.messageId,
      sizeOf: (item) => entryBytes(item.entry),
      retry,
      failureType: QUARANTINE_INCOMPLETE,
      sendChunk: async (chunk) => {
        const response = await deps.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: chunk.map((item, i) => ({ ...item.entry, Id: String(i) })),
          }),
          { abortSignal: ctx.cancellationSignal },
        );
        return entryOutcomes(
          chunk.map((_, i) => String(i)),
          response.Successful,
          response.Failed,
        );
      },
      onProgress: ({ ok, rejected }) => record({ quarantine: progressWith(ok, rejected), deleted: resumed.deleted }),
    });
    return progressWith(outcome.ok, outcome.rejected);
  }
}

const DROP_STEP = 'drop-invalid';

function invalidMessages(batch: HeldBatch): InvalidMessage[] {
  return [...batch.messages.values()].flatMap((m) =>
    m.validation && !m.validation.valid
      ? [{ ...m, reason: m.validation.reason, detail: m.validation.detail, body: m.body, bodyBytes: m.bodyBytes }]
      : [],
  );
}
