import type { BatchResultErrorEntry } from '@aws-sdk/client-sqs';
import { ApplicationFailure } from '@temporalio/common';
import { Context, log } from '@temporalio/activity';
import { awsErrorName, isNonRetryableAwsError, toApplicationFailure } from './aws-failure';
import { backoffMs, type InActivityRetry } from './deps';

/** SQS batch APIs take at most 10 entries per request. */
export const SQS_BATCH_LIMIT = 10;

export type EntryOutcome = { status: 'ok' } | { status: 'rejected'; code: string } | { status: 'failed'; code: string };

export interface BatchRetryResult {
  ok: string[];
  /** Entries SQS refused for good (sender fault): retrying cannot help. */
  rejected: string[];
  retriedEntries: number;
  failuresByCode: Map<string, number>;
}

/**
 * The outcome of each entry of an SQS batch response, by entry id. An entry listed as neither successful nor failed
 * counts as failed: success is never assumed.
 */
export function entryOutcomes(
  ids: string[],
  successful: { Id?: string }[] | undefined,
  failed: BatchResultErrorEntry[] | undefined,
): Map<string, EntryOutcome> {
  const ok = new Set((successful ?? []).map((s) => s.Id));
  const failures = new Map((failed ?? []).map((f) => [f.Id, f]));
  return new Map(
    ids.map((id): [string, EntryOutcome] => {
      const failure = failures.get(id);
      if (failure) {
        const code = failure.Code ?? 'UnknownError';
        return [id, failure.SenderFault === true ? { status: 'rejected', code } : { status: 'failed', code }];
      }
      return [id, ok.has(id) ? { status: 'ok' } : { status: 'failed', code: 'MissingResult' }];
    }),
  );
}

export interface BatchRetryOptions<T> {
  action: string;
  items: T[];
  keyOf: (item: T) => string;
  /** Sends one chunk (≤ 10 items; entry Id = index in the chunk) and returns each entry's outcome by that Id. */
  sendChunk: (chunk: T[]) => Promise<Map<string, EntryOutcome>>;
  retry: InActivityRetry;
  failureType: string;
  /** Called after each round with what is settled so far (for heartbeats). */
  onRound?: (settled: { ok: string[]; rejected: string[] }) => void;
}

/**
 * Sends items through an SQS batch API in chunks of 10, checks every entry, and retries the failed ones with backoff
 * and jitter until all are settled; after too many rounds without progress it throws a retryable failure so the
 * activity's retry policy takes over (resuming from the heartbeat that onRound records).
 */
export async function sendWithEntryRetries<T>(options: BatchRetryOptions<T>): Promise<BatchRetryResult> {
  const ctx = Context.current();
  const result: BatchRetryResult = { ok: [], rejected: [], retriedEntries: 0, failuresByCode: new Map() };
  let pending = options.items;
  let roundsWithoutProgress = 0;

  while (pending.length > 0) {
    const failedThisRound: T[] = [];
    const codes = new Map<string, number>();
    const countFailure = (code: string, n = 1): void => void codes.set(code, (codes.get(code) ?? 0) + n);
    for (let start = 0; start < pending.length; start += SQS_BATCH_LIMIT) {
      const chunk = pending.slice(start, start + SQS_BATCH_LIMIT);
      let outcomes: Map<string, EntryOutcome>;
      try {
        outcomes = await options.sendChunk(chunk);
      } catch (err) {
        if (isNonRetryableAwsError(err)) throw toApplicationFailure(err, options.action);
        failedThisRound.push(...chunk);
        countFailure(awsErrorName(err), chunk.length);
        continue;
      }
      chunk.forEach((item, i) => {
        const outcome = outcomes.get(String(i)) ?? { status: 'failed', code: 'MissingResult' };
        if (outcome.status === 'ok') result.ok.push(options.keyOf(item));
        else if (outcome.status === 'rejected') result.rejected.push(options.keyOf(item));
        else {
          failedThisRound.push(item);
          countFailure(outcome.code);
        }
      });
    }
    options.onRound?.({ ok: result.ok, rejected: result.rejected });
    const progressed = failedThisRound.length < pending.length;
    pending = failedThisRound;
    if (pending.length === 0) break;
    result.retriedEntries += pending.length;
    for (const [code, count] of codes) result.failuresByCode.set(code, (result.failuresByCode.get(code) ?? 0) + count);
    roundsWithoutProgress = progressed ? 0 : roundsWithoutProgress + 1;
    if (roundsWithoutProgress >= options.retry.maxRoundsWithoutProgress) {
      throw ApplicationFailure.retryable(
        `${options.action} made no progress in ${roundsWithoutProgress} rounds ` +
          `(${pending.length} entries failing: ${[...codes.keys()].join(', ')})`,
        options.failureType,
      );
    }
    log.warn(`${options.action} entries failed; retrying them`, {
      failed: pending.length,
      codes: Object.fromEntries(codes),
    });
    await ctx.sleep(backoffMs(options.retry, Math.max(1, roundsWithoutProgress)));
  }
  return result;
}
