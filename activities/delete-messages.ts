import { DeleteMessageBatchCommand } from '@aws-sdk/client-sqs';
import { Context, log } from '@temporalio/activity';
import { z } from 'zod';
import { DELETE_INCOMPLETE } from '../workflows/failure-types';
import { DEFAULT_IN_ACTIVITY_RETRY, type ActivityDeps, type InActivityRetry } from './deps';
import { pipelineMetrics } from './metrics';
import { entryOutcomes, sendWithEntryRetries } from './sqs-batch';
import type { DeleteRequest, DeleteResult } from './types';

/** What a delete has settled so far: heartbeated so that a retried attempt skips it. */
export const deleteProgressSchema = z.object({ done: z.array(z.string()), stale: z.array(z.string()) });
export type DeleteProgress = z.infer<typeof deleteProgressSchema>;

export const NO_DELETE_PROGRESS: DeleteProgress = { done: [], stale: [] };

type DeleteDeps = Pick<ActivityDeps, 'sqs' | 'queueUrl'>;

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
    const resumed = deleteProgressSchema.safeParse(ctx.info.heartbeatDetails);
    return deleteResumable(deps, retry, request, resumed.success ? resumed.data : NO_DELETE_PROGRESS, (progress) =>
      ctx.heartbeat(progress),
    );
  };
}

/**
 * The delete itself, resuming from `resumed` and reporting progress after every request through `heartbeat` (the
 * caller decides what else the heartbeat carries: dropInvalidSubmissions adds its quarantine progress).
 */
export async function deleteResumable(
  deps: DeleteDeps,
  retry: InActivityRetry,
  request: DeleteRequest,
  resumed: DeleteProgress,
  heartbeat: (progress: DeleteProgress) => void,
): Promise<DeleteResult> {
  const ctx = Context.current();
  const metrics = pipelineMetrics();
  const done = new Set(resumed.done);
  const stale = new Set(resumed.stale);

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
    onProgress: (settled) => heartbeat({ done: [...done, ...settled.ok], stale: [...stale, ...settled.rejected] }),
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
}
