import { DeleteMessageBatchCommand } from '@aws-sdk/client-sqs';
import { Context, log } from '@temporalio/activity';
import { z } from 'zod';
import { DELETE_INCOMPLETE } from '../src/failure-types';
import { DEFAULT_IN_ACTIVITY_RETRY, type ActivityDeps } from './deps';
import { pipelineMetrics } from './metrics';
import { entryOutcomes, sendWithEntryRetries } from './sqs-batch';
import type { DeleteRequest, DeleteResult } from './types';

const heartbeatSchema = z.object({ done: z.array(z.string()), stale: z.array(z.string()) });

/**
 * Deletes messages whose fate is sealed (all events acknowledged, or invalid). Every entry's result is checked; failed
 * entries are retried with backoff; progress is heartbeated so a retried attempt skips what is already deleted.
 * An entry SQS refuses as a sender fault is a receipt handle that expired because the message was received again:
 * retrying cannot help, and the message's next delivery yields the same event ids.
 */
export function createDeleteMessages(deps: Pick<ActivityDeps, 'sqs' | 'queueUrl' | 'retry'>) {
  const retry = { ...DEFAULT_IN_ACTIVITY_RETRY, ...deps.retry };

  return async function deleteMessages(request: DeleteRequest): Promise<DeleteResult> {
    const ctx = Context.current();
    const metrics = pipelineMetrics();
    const resumed = heartbeatSchema.safeParse(ctx.info.heartbeatDetails);
    const done = new Set(resumed.success ? resumed.data.done : []);
    const stale = new Set(resumed.success ? resumed.data.stale : []);

    const outcome = await sendWithEntryRetries({
      action: 'DeleteMessageBatch',
      items: request.messages.filter((m) => !done.has(m.messageId) && !stale.has(m.messageId)),
      keyOf: (m) => m.messageId,
      retry,
      failureType: DELETE_INCOMPLETE,
      sendChunk: async (chunk) => {
        const response = await deps.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: deps.queueUrl,
            Entries: chunk.map((m, i) => ({ Id: String(i), ReceiptHandle: m.receiptHandle })),
          }),
          { abortSignal: ctx.cancellationSignal },
        );
        return entryOutcomes(
          chunk.map((_, i) => String(i)),
          response.Successful,
          response.Failed,
        );
      },
      onRound: (settled) => ctx.heartbeat({ done: [...done, ...settled.ok], stale: [...stale, ...settled.rejected] }),
    });
    outcome.ok.forEach((id) => done.add(id));
    outcome.rejected.forEach((id) => stale.add(id));
    for (const id of outcome.rejected) {
      log.warn(
        'receipt handle no longer valid; the message will be redelivered and republished with the same event ids',
        {
          messageId: id,
        },
      );
    }

    const result: DeleteResult = {
      deleted: request.messages.filter((m) => done.has(m.messageId)).length,
      retriedEntries: outcome.retriedEntries,
      staleReceipts: request.messages.filter((m) => stale.has(m.messageId)).map((m) => m.messageId),
    };
    for (const [code, count] of outcome.failuresByCode) metrics.deleteFailedEntries(count, code);
    metrics.deleted(outcome.ok.length);
    metrics.staleReceipts(result.staleReceipts.length);
    return result;
  };
}
