import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { Context } from '@temporalio/activity';
import { QUARANTINE_INCOMPLETE } from '../src/failure-types';
import { createDeleteMessages } from './delete-messages';
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
    // Oversized bodies are not carried through the workflow; their size is recorded instead.
    body: message.body,
    body_bytes: message.bodyBytes,
  });
}

/**
 * Drops invalid submissions: with a quarantine queue configured, first copies each (body + reason) there — every entry
 * checked, failures retried — and only then deletes it from the submissions queue. A retried attempt may copy a
 * message twice; `original_message_id` identifies duplicates.
 */
export function createDropInvalidSubmissions(
  deps: Pick<ActivityDeps, 'sqs' | 'queueUrl' | 'retry' | 'quarantineQueueUrl' | 'now'>,
) {
  const retry = { ...DEFAULT_IN_ACTIVITY_RETRY, ...deps.retry };
  const deleteMessages = createDeleteMessages(deps);
  const now = deps.now ?? (() => new Date());

  return async function dropInvalidSubmissions(request: DropInvalidRequest): Promise<DropInvalidResult> {
    let quarantined = 0;
    let toDelete = request.messages;
    const quarantineQueueUrl = deps.quarantineQueueUrl;
    if (quarantineQueueUrl) {
      const ctx = Context.current();
      const outcome = await sendWithEntryRetries({
        action: 'SendMessageBatch (quarantine)',
        items: request.messages,
        keyOf: (m) => m.messageId,
        retry,
        failureType: QUARANTINE_INCOMPLETE,
        sendChunk: async (chunk) => {
          const response = await deps.sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: quarantineQueueUrl,
              Entries: chunk.map((m, i) => ({
                Id: String(i),
                MessageBody: quarantineRecord(m, now()),
                MessageAttributes: { reason: { DataType: 'String', StringValue: m.reason } },
              })),
            }),
            { abortSignal: ctx.cancellationSignal },
          );
          return entryOutcomes(
            chunk.map((_, i) => String(i)),
            response.Successful,
            response.Failed,
          );
        },
      });
      quarantined = outcome.ok.length;
      // A copy SQS refuses for good (e.g. too large for the quarantine queue) must not cost the original: it stays
      // in the submissions queue and, after maxReceiveCount, moves to the dead-letter queue.
      const copied = new Set(outcome.ok);
      toDelete = request.messages.filter((m) => copied.has(m.messageId));
    }
    const deleted = await deleteMessages({
      messages: toDelete.map(({ messageId, receiptHandle }) => ({ messageId, receiptHandle })),
    });
    return { ...deleted, quarantined, notQuarantined: request.messages.length - toDelete.length };
  };
}
