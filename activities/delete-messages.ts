import { DeleteMessageBatchCommand } from '@aws-sdk/client-sqs';
import { Context, log } from '@temporalio/activity';
import { isComplete } from '../src/publish/plan';
import { z } from 'zod';
import { DELETE_INCOMPLETE } from '../src/contracts/failure-types';
import type { ActivityDeps } from './deps';
import { DEFAULT_IN_ACTIVITY_RETRY, type InActivityRetry } from '../src/aws/retry';
import { keepAlive, KEEP_ALIVE_MS } from './keep-alive';
import { pipelineMetrics } from './metrics';
import { entryOutcomes, sendWithEntryRetries } from '../src/sqs/batch';
import type { DeleteResult, MessageReceipt, SettleRequest } from '../src/contracts/batch-steps';

/** What a delete has settled so far: kept with the batch so that a retried attempt skips it. */
export const deleteProgressSchema = z.object({ done: z.array(z.string()), stale: z.array(z.string()) });
export type DeleteProgress = z.infer<typeof deleteProgressSchema>;

export const NO_DELETE_PROGRESS: DeleteProgress = { done: [], stale: [] };

type DeleteDeps = Pick<ActivityDeps, 'sqs' | 'queueUrl'>;

/**
 * Deletes the messages of held batches (one or several of a lane's) whose every event is acknowledged. Every entry's
 * result is checked; failed entries are retried with backoff; what is settled is kept with the batch, so a retried attempt skips it. An entry
 * SQS refuses as a sender fault is a receipt handle that expired because the message was received again: retrying
 * cannot help, and the message's next delivery yields the same event ids. Deleted messages leave the hold.
 */
export function createDeleteMessages(deps: Pick<ActivityDeps, 'sqs' | 'queueUrl' | 'retry' | 'hold'>) {
  const retry = { ...DEFAULT_IN_ACTIVITY_RETRY, ...deps.retry };

  return async function deleteMessages(request: SettleRequest): Promise<DeleteResult> {
    const stopKeepAlive = keepAlive(KEEP_ALIVE_MS);
    try {
      const { results, notHeld } = await deps.hold.useEach(request.batchIds, async (batch) => {
        const published = [...batch.messages.values()].filter(
          (m) => m.validation?.valid === true && isComplete(m.validation.submission, batch.progress),
        );
        const resumed = deleteProgressSchema.safeParse(batch.stepProgress.get(DELETE_STEP));
        const { settled, ...counts } = await deleteResumable(
          deps,
          retry,
          { messages: published },
          resumed.success ? resumed.data : NO_DELETE_PROGRESS,
          (progress) => batch.stepProgress.set(DELETE_STEP, progress),
        );
        deps.hold.settle(batch.id, [...settled]);
        return counts;
      });
      return { notHeld, ...sumCounts({ deleted: 0, retriedEntries: 0, staleReceipts: 0 }, results) };
    } finally {
      stopKeepAlive();
    }
  };
}

/** Adds up several batches' counts key by key (`zero` names the keys). */
export function sumCounts<T extends Record<string, number>>(zero: T, results: readonly T[]): T {
  const total: Record<string, number> = { ...zero };
  for (const result of results)
    for (const key of Object.keys(zero)) total[key] = (total[key] ?? 0) + (result[key] ?? 0);
  return total as T;
}

const DELETE_STEP = 'delete';

/**
 * The delete itself, resuming from `resumed` and reporting progress after every request through `recordProgress`
 * (the caller keeps it with the batch: dropInvalidSubmissions beside its quarantine progress).
 */
export async function deleteResumable(
  deps: DeleteDeps,
  retry: InActivityRetry,
  request: { messages: MessageReceipt[] },
  resumed: DeleteProgress,
  recordProgress: (progress: DeleteProgress) => void,
): Promise<Omit<DeleteResult, 'notHeld'> & { settled: Set<string> }> {
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
    onProgress: (settled) => recordProgress({ done: [...done, ...settled.ok], stale: [...stale, ...settled.rejected] }),
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

  const staleReceipts = request.messages.filter((m) => stale.has(m.messageId)).length;
  for (const [code, count] of outcome.failuresByCode) metrics.deleteFailedEntries(count, code);
  metrics.deleted(outcome.ok.length);
  metrics.staleReceipts(staleReceipts);
  return {
    deleted: request.messages.filter((m) => done.has(m.messageId)).length,
    retriedEntries: outcome.retriedEntries,
    staleReceipts,
    settled: new Set([...done, ...stale]),
  };
}
