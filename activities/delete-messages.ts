import { DeleteMessageBatchCommand, type BatchResultErrorEntry } from '@aws-sdk/client-sqs';
import { ApplicationFailure } from '@temporalio/common';
import { Context, log } from '@temporalio/activity';
import { z } from 'zod';
import { DELETE_INCOMPLETE } from '../src/failure-types';
import { backoffMs, DEFAULT_IN_ACTIVITY_RETRY, type ActivityDeps } from './deps';
import { awsErrorName, isNonRetryableAwsError, toApplicationFailure } from './aws-failure';
import { pipelineMetrics } from './metrics';
import type { DeleteRequest, DeleteResult, MessageReceipt } from './types';

const SQS_BATCH_LIMIT = 10;

const heartbeatSchema = z.object({ done: z.array(z.string()), stale: z.array(z.string()) });

/**
 * A failed entry with SenderFault is one SQS will never accept (typically a receipt handle that expired because the
 * message was received again): retrying cannot help, and the message's next delivery yields the same event ids.
 */
function isStaleReceipt(failure: BatchResultErrorEntry): boolean {
  return failure.SenderFault === true;
}

/**
 * Deletes messages whose fate is sealed (all events acknowledged, or invalid). Every entry's result is checked; failed
 * entries are retried with backoff; progress is heartbeated so a retried attempt skips what is already deleted.
 */
export function createDeleteMessages(deps: ActivityDeps) {
  const retry = { ...DEFAULT_IN_ACTIVITY_RETRY, ...deps.retry };

  return async function deleteMessages(request: DeleteRequest): Promise<DeleteResult> {
    const ctx = Context.current();
    const metrics = pipelineMetrics();
    const resumed = heartbeatSchema.safeParse(ctx.info.heartbeatDetails);
    const done = new Set(resumed.success ? resumed.data.done : []);
    const stale = new Set(resumed.success ? resumed.data.stale : []);
    const result: DeleteResult = { deleted: 0, retriedEntries: 0, staleReceipts: [] };
    let pending: MessageReceipt[] = request.messages.filter((m) => !done.has(m.messageId) && !stale.has(m.messageId));
    let roundsWithoutProgress = 0;

    while (pending.length > 0) {
      const failedThisRound: MessageReceipt[] = [];
      const codes = new Map<string, number>();
      const countFailure = (code: string, n = 1): void => void codes.set(code, (codes.get(code) ?? 0) + n);
      for (let start = 0; start < pending.length; start += SQS_BATCH_LIMIT) {
        const chunk = pending.slice(start, start + SQS_BATCH_LIMIT);
        try {
          const response = await deps.sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: deps.queueUrl,
              Entries: chunk.map((m, i) => ({ Id: String(i), ReceiptHandle: m.receiptHandle })),
            }),
            { abortSignal: ctx.cancellationSignal },
          );
          const succeeded = new Set((response.Successful ?? []).map((s) => s.Id));
          const failures = new Map((response.Failed ?? []).map((f) => [f.Id, f]));
          chunk.forEach((message, i) => {
            const id = String(i);
            const failure = failures.get(id);
            if (succeeded.has(id) && !failure) {
              done.add(message.messageId);
            } else if (failure && isStaleReceipt(failure)) {
              stale.add(message.messageId);
              log.warn(
                'receipt handle no longer valid; the message will be redelivered and republished with the same event ids',
                {
                  messageId: message.messageId,
                  code: failure.Code,
                },
              );
            } else {
              // Neither listed as successful nor as a sender fault: retry, never assume.
              failedThisRound.push(message);
              countFailure(failure?.Code ?? 'MissingResult');
            }
          });
        } catch (err) {
          if (isNonRetryableAwsError(err)) throw toApplicationFailure(err, 'DeleteMessageBatch');
          failedThisRound.push(...chunk);
          countFailure(awsErrorName(err), chunk.length);
        }
      }
      ctx.heartbeat({ done: [...done], stale: [...stale] });
      const progressed = failedThisRound.length < pending.length;
      pending = failedThisRound;
      if (pending.length === 0) break;
      result.retriedEntries += pending.length;
      for (const [code, count] of codes) metrics.deleteFailedEntries(count, code);
      roundsWithoutProgress = progressed ? 0 : roundsWithoutProgress + 1;
      if (roundsWithoutProgress >= retry.maxRoundsWithoutProgress) {
        throw ApplicationFailure.retryable(
          `DeleteMessageBatch made no progress in ${roundsWithoutProgress} rounds (${pending.length} entries failing: ${[...codes.keys()].join(', ')})`,
          DELETE_INCOMPLETE,
        );
      }
      log.warn('DeleteMessageBatch entries failed; retrying them', {
        failed: pending.length,
        codes: Object.fromEntries(codes),
      });
      await ctx.sleep(backoffMs(retry, Math.max(1, roundsWithoutProgress)));
    }
    result.deleted = request.messages.filter((m) => done.has(m.messageId)).length;
    result.staleReceipts = request.messages.filter((m) => stale.has(m.messageId)).map((m) => m.messageId);
    metrics.deleted(result.deleted);
    metrics.staleReceipts(result.staleReceipts.length);
    return result;
  };
}
