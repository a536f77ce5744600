import { SendMessageBatchCommand, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { Context } from '@temporalio/activity';
import { z } from 'zod';
import { originalBody } from '../src/domain/decode-body';
import { QUARANTINE_INCOMPLETE } from '../workflows/failure-types';
import { deleteProgressSchema, deleteResumable, NO_DELETE_PROGRESS } from './delete-messages';
import { DEFAULT_IN_ACTIVITY_RETRY, type ActivityDeps } from './deps';
import { entryOutcomes, sendWithEntryRetries } from './sqs-batch';
import type { DropInvalidRequest, DropInvalidResult, InvalidMessage } from './types';

/** What lands in the quarantine queue: the original body untouched, with why it was refused. */
export function quarantineRecord(message: InvalidMessage, quarantinedAt: Date): string {
  return JSON.stringify({
    original_message_id: message.messageId,
    reason: message.reason,
    detail: message.detail,
    quarantined_at: quarantinedAt.toISOString(),
    // Oversized bodies are not carried through the workflow; their size is recorded instead. A base64 body that
    // travelled as its text is re-encoded: the copy holds the body exactly as the sensor sent it.
    body: message.body === null ? null : originalBody(message.body, message.bodyEncoding),
    body_bytes: message.bodyBytes,
  });
}

/**
 * Heartbeat details: the quarantine copies settled (copied, or refused for good) and the deletes settled, in one
 * object so that the delete phase's heartbeats never erase the quarantine phase's (a retried attempt re-copying what
 * is already in the quarantine queue would duplicate it).
 */
const heartbeatSchema = z.object({
  quarantine: z.object({ copied: z.array(z.string()), refused: z.array(z.string()) }),
  deleted: deleteProgressSchema,
});
type DropProgress = z.infer<typeof heartbeatSchema>;

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
 * both phases is heartbeated after every request, so a retried attempt neither copies a message twice nor deletes
 * one that was not copied. (A copy whose answer was lost, e.g. a timeout after SQS stored it, or made by a worker killed
 * before its last heartbeat reached the server, can still appear twice; `original_message_id` identifies duplicates.)
 */
export function createDropInvalidSubmissions(
  deps: Pick<ActivityDeps, 'sqs' | 'queueUrl' | 'retry' | 'quarantineQueueUrl' | 'now'>,
) {
  const retry = { ...DEFAULT_IN_ACTIVITY_RETRY, ...deps.retry };
  const now = deps.now ?? (() => new Date());

  return async function dropInvalidSubmissions(request: DropInvalidRequest): Promise<DropInvalidResult> {
    const ctx = Context.current();
    const parsed = heartbeatSchema.safeParse(ctx.info.heartbeatDetails);
    const resumed = parsed.success ? parsed.data : NO_PROGRESS;
    const quarantineQueueUrl = deps.quarantineQueueUrl;
    const quarantine = quarantineQueueUrl
      ? await copyToQuarantine(quarantineQueueUrl, request.messages, resumed)
      : undefined;
    // A copy SQS refuses for good (e.g. too large for the quarantine queue) must not cost the original: it stays
    // in the submissions queue and, after maxReceiveCount, moves to the dead-letter queue.
    const copied = new Set(quarantine?.copied ?? []);
    const toDelete = quarantine ? request.messages.filter((m) => copied.has(m.messageId)) : request.messages;
    const settledQuarantine = quarantine ?? NO_PROGRESS.quarantine;
    // The copy phase's last request reports nothing (activities/sqs-batch.ts); record it before deleting, so a retry
    // after a crash in the delete phase copies nothing twice.
    if (quarantine && toDelete.length > 0)
      ctx.heartbeat({ quarantine, deleted: resumed.deleted } satisfies DropProgress);
    const deleted = await deleteResumable(
      deps,
      retry,
      { messages: toDelete.map(({ messageId, receiptHandle }) => ({ messageId, receiptHandle })) },
      resumed.deleted,
      (progress) => ctx.heartbeat({ quarantine: settledQuarantine, deleted: progress } satisfies DropProgress),
    );
    return {
      ...deleted,
      quarantined: quarantine ? request.messages.filter((m) => copied.has(m.messageId)).length : 0,
      notQuarantined: request.messages.length - toDelete.length,
    };
  };

  async function copyToQuarantine(
    queueUrl: string,
    messages: InvalidMessage[],
    resumed: DropProgress,
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
      onProgress: ({ ok, rejected }) =>
        ctx.heartbeat({ quarantine: progressWith(ok, rejected), deleted: resumed.deleted } satisfies DropProgress),
    });
    return progressWith(outcome.ok, outcome.rejected);
  }
}
