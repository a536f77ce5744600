import type { BatchResultErrorEntry } from '@aws-sdk/client-sqs';
import { ApplicationFailure } from '@temporalio/common';
import { Context, log } from '@temporalio/activity';
import { awsErrorName, isNonRetryableAwsError, toApplicationFailure } from '../aws/failure';
import { backoffMs, type InActivityRetry } from '../aws/retry';
import { chunkBySize } from '../aws/chunk-by-size';

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
  /** Bytes an item adds to a request; with it, chunks also stay within SQS_BATCH_MAX_BYTES. */
  sizeOf?: (item: T) => number;
  retry: InActivityRetry;
  failureType: string;
  /**
   * Called after every request that leaves work to do (and so before every backoff) with what is settled so far, for
   * heartbeats: a round is up to ten requests of up to 30 s each, longer than the heartbeat timeout. Not after the
   * request that settles the last item: the activity returns next, and the worker encodes a heartbeat asynchronously
   * and does not wait for it on success, so a last heartbeat would reach it after the completion (the SDK then logs
   * "Activity heartbeat failed … UnknownActivity" for nothing). The SDK throttles what reaches the server.
   */
  onProgress?: (settled: { ok: string[]; rejected: string[] }) => void;
}

/**
 * Byte budget of one SendMessageBatch request (sum of bodies and attributes). The pinned SDK documents 1 MiB, but
 * 256 KiB is still the limit of queues whose MaximumMessageSize was never raised and of some regions; a request over
 * the budget costs one split, one under it costs nothing.
 */
export const SQS_BATCH_MAX_BYTES = 262_144;

/** Errors that say the request as a whole was too large: retrying it unchanged can never succeed. */
const REQUEST_TOO_LONG = new Set(['BatchRequestTooLong', 'AWS.SimpleQueueService.BatchRequestTooLong']);

export function isRequestTooLong(err: unknown): boolean {
  if (REQUEST_TOO_LONG.has(awsErrorName(err))) return true;
  const status = typeof err === 'object' && err !== null && '$metadata' in err ? err.$metadata : undefined;
  return typeof status === 'object' && status !== null && 'httpStatusCode' in status && status.httpStatusCode === 413;
}

interface RoundFailures<T> {
  items: T[];
  codes: Map<string, number>;
}

/**
 * Sends items through an SQS batch API in chunks of ≤ 10 entries (and ≤ SQS_BATCH_MAX_BYTES when sized), checks every
 * entry, and retries the failed ones with backoff and jitter until all are settled; after too many rounds without
 * progress it throws a retryable failure so the activity's retry policy takes over (resuming from the heartbeat that
 * onProgress records). A request refused as too long is split in two and both halves sent at once; a single entry
 * refused so is settled as rejected (it can never fit), never retried as if the failure were transient.
 */
export async function sendWithEntryRetries<T>(options: BatchRetryOptions<T>): Promise<BatchRetryResult> {
  const ctx = Context.current();
  const result: BatchRetryResult = { ok: [], rejected: [], retriedEntries: 0, failuresByCode: new Map() };
  const report = (): void => options.onProgress?.({ ok: result.ok, rejected: result.rejected });
  let pending = options.items;
  let roundsWithoutProgress = 0;

  while (pending.length > 0) {
    const failed = await sendRound(options, pending, result, report);
    const progressed = failed.items.length < pending.length;
    pending = failed.items;
    if (pending.length === 0) break;
    result.retriedEntries += pending.length;
    for (const [code, count] of failed.codes) {
      result.failuresByCode.set(code, (result.failuresByCode.get(code) ?? 0) + count);
    }
    roundsWithoutProgress = progressed ? 0 : roundsWithoutProgress + 1;
    if (roundsWithoutProgress >= options.retry.maxRoundsWithoutProgress) {
      throw ApplicationFailure.retryable(
        `${options.action} made no progress in ${roundsWithoutProgress} rounds ` +
          `(${pending.length} entries failing: ${[...failed.codes.keys()].join(', ')})`,
        options.failureType,
      );
    }
    log.warn(`${options.action} entries failed; retrying them`, {
      failed: pending.length,
      codes: Object.fromEntries(failed.codes),
    });
    await ctx.sleep(backoffMs(options.retry, Math.max(1, roundsWithoutProgress)));
  }
  return result;
}

/** One pass over the pending items: every chunk sent once (split when too long); returns what failed transiently. */
async function sendRound<T>(
  options: BatchRetryOptions<T>,
  pending: T[],
  result: BatchRetryResult,
  report: () => void,
): Promise<RoundFailures<T>> {
  const failed: RoundFailures<T> = { items: [], codes: new Map() };
  const countFailure = (code: string, n = 1): void => void failed.codes.set(code, (failed.codes.get(code) ?? 0) + n);
  const chunks = chunkBySize(pending, options.sizeOf ?? (() => 0), SQS_BATCH_MAX_BYTES, SQS_BATCH_LIMIT);
  const reportIfWorkLeft = (): void => {
    if (chunks.length > 0 || failed.items.length > 0) report();
  };
  for (let chunk = chunks.shift(); chunk !== undefined; chunk = chunks.shift()) {
    let outcomes: Map<string, EntryOutcome>;
    try {
      outcomes = await options.sendChunk(chunk);
    } catch (err) {
      if (isRequestTooLong(err)) {
        settleTooLong(chunk, chunks, options, result, awsErrorName(err));
      } else if (isNonRetryableAwsError(err)) {
        throw toApplicationFailure(err, options.action);
      } else {
        failed.items.push(...chunk);
        countFailure(awsErrorName(err), chunk.length);
      }
      reportIfWorkLeft();
      continue;
    }
    chunk.forEach((item, i) => {
      const outcome = outcomes.get(String(i)) ?? { status: 'failed', code: 'MissingResult' };
      if (outcome.status === 'ok') result.ok.push(options.keyOf(item));
      else if (outcome.status === 'rejected') result.rejected.push(options.keyOf(item));
      else {
        failed.items.push(item);
        countFailure(outcome.code);
      }
    });
    reportIfWorkLeft();
  }
  return failed;
}

/** A chunk refused as too long: its halves go next in line; a lone entry that is too long is refused for good. */
function settleTooLong<T>(
  chunk: T[],
  queue: T[][],
  options: BatchRetryOptions<T>,
  result: BatchRetryResult,
  code: string,
): void {
  if (chunk.length > 1) {
    const half = Math.ceil(chunk.length / 2);
    queue.unshift(chunk.slice(0, half), chunk.slice(half));
    return;
  }
  const [only] = chunk;
  if (only === undefined) return;
  log.warn(`${options.action}: one entry alone is too long for a request; refusing it`, { code });
  result.rejected.push(options.keyOf(only));
}
