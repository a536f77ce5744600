import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import {
  entryBytes,
  KINESIS_PUT_RECORDS_LIMITS,
  type PutEntry,
  type PutRecordsLimits,
  type PutResultEntry,
} from './plan';

/**
 * One worker-level PutRecords batcher: every concurrent publish activity of the worker hands it one planned request
 * (its submissions' next records, see src/publish/plan.ts) and the batcher packs those of all callers into shared
 * requests. A publish round of one large submission carries one record; without sharing, every such round is a
 * PutRecords round trip of its own (docs/benchmark.md, "Large submissions").
 *
 * G2 (order per submission, docs/contract.md) holds as before: a caller's entries hold at most one unacknowledged
 * record per submission and the caller awaits their results before planning its next round; the batcher never puts
 * two entries of one submission (message id) in one request, even from two callers. A caller's entries always travel
 * together in one request (a planned request fits the limits), so a failed request fails exactly its callers'
 * entries, which they retry with their own backoff, and results are routed back by position.
 */
export interface PutRecordsBatcher {
  /**
   * Sends `entries` within a shared request and resolves to their per-entry results, in order (undefined when the
   * response had none); rejects with the request's error when the request carrying them failed, or when `signal`
   * aborts (the entries may still land: a retry then duplicates them with the same event ids, G3).
   */
  put(entries: readonly PutEntry[], signal?: AbortSignal): Promise<PutResultEntry[] | undefined>;
  stats(): BatcherStats;
}

export interface BatcherStats {
  requests: number;
  entries: number;
  callers: number;
}

export interface BatcherOptions {
  /**
   * Requests of the worker in flight before the next one waits for one of them to come back (its callers then join
   * it): 1 keeps one request per round trip carrying every caller's next records.
   */
  maxInFlight: number;
  /**
   * How long a request may wait for the requests in flight before it goes anyway, beside them. Bounds what one hung
   * request costs the other callers (it would otherwise hold them until the client's request timeout, 30 s), and is
   * well above a round trip on a busy emulator (100–400 ms), so requests do not go beside each other in normal work.
   */
  maxWaitMs: number;
  limits: PutRecordsLimits;
}

// Chosen by measurement (docs/benchmark.md, "One request in flight").
export const DEFAULT_BATCHER_OPTIONS: BatcherOptions = {
  maxInFlight: 1,
  maxWaitMs: 1000,
  limits: KINESIS_PUT_RECORDS_LIMITS,
};

/** Sends one request's records and returns the response's per-entry results (the batcher's only I/O). */
export type SendPutRecords = (entries: PutEntry[]) => Promise<PutResultEntry[] | undefined>;

export function kinesisSender(kinesis: KinesisClient, streamName: string): SendPutRecords {
  return async (entries) => {
    const response = await kinesis.send(
      new PutRecordsCommand({
        StreamName: streamName,
        Records: entries.map((entry) => ({ Data: Buffer.from(entry.data, 'utf8'), PartitionKey: entry.partitionKey })),
      }),
    );
    return response.Records;
  };
}

interface Caller {
  entries: readonly PutEntry[];
  settled: boolean;
  resolve(results: PutResultEntry[] | undefined): void;
  reject(err: Error): void;
}

interface SharedRequest {
  callers: Caller[];
  entries: number;
  bytes: number;
  messageIds: Set<string>;
  openedAtMs: number;
}

export function createPutRecordsBatcher(
  send: SendPutRecords,
  options: Partial<BatcherOptions> = {},
): PutRecordsBatcher {
  const { maxInFlight, maxWaitMs, limits } = { ...DEFAULT_BATCHER_OPTIONS, ...options };
  const stats: BatcherStats = { requests: 0, entries: 0, callers: 0 };
  /** Requests not sent yet, oldest first; only the last one still takes callers. */
  const queue: SharedRequest[] = [];
  let inFlight = 0;
  let pumpScheduled = false;
  let waitTimer: NodeJS.Timeout | undefined;

  const isFull = (r: SharedRequest): boolean =>
    r.entries >= limits.maxEntriesPerRequest || r.bytes >= limits.maxBytesPerRequest;

  function fits(r: SharedRequest, entries: readonly PutEntry[], bytes: number): boolean {
    if (r.entries + entries.length > limits.maxEntriesPerRequest) return false;
    if (r.bytes + bytes > limits.maxBytesPerRequest) return false;
    return entries.every((e) => !r.messageIds.has(e.messageId));
  }

  function enqueue(caller: Caller): void {
    const bytes = caller.entries.reduce((sum, e) => sum + entryBytes(e), 0);
    let open = queue[queue.length - 1];
    if (!open || !fits(open, caller.entries, bytes)) {
      // A caller's entries never exceed a request (planRound's limits); should one, it goes alone, as before.
      open = { callers: [], entries: 0, bytes: 0, messageIds: new Set(), openedAtMs: Date.now() };
      queue.push(open);
    }
    open.callers.push(caller);
    open.entries += caller.entries.length;
    open.bytes += bytes;
    for (const e of caller.entries) open.messageIds.add(e.messageId);
  }

  /**
   * Deferred to the next turn of the event loop, so that the callers released by a request that just came back (they
   * plan their next round in microtasks) join the next request instead of each taking one of their own.
   */
  function schedulePump(): void {
    if (pumpScheduled) return;
    pumpScheduled = true;
    setImmediate(() => {
      pumpScheduled = false;
      pump();
    });
  }

  function pump(): void {
    while (queue.length > 0) {
      const next = queue[0] as SharedRequest;
      const waitedEnough = Date.now() - next.openedAtMs >= maxWaitMs;
      if (!waitedEnough) {
        if (inFlight >= maxInFlight) break;
        // Partly filled: wait for the requests in flight, whose callers come back to fill it.
        const closed = queue.length > 1 || isFull(next);
        if (!closed && inFlight > 0) break;
      }
      queue.shift();
      dispatch(next);
    }
    armWaitTimer();
  }

  function armWaitTimer(): void {
    if (waitTimer) clearTimeout(waitTimer);
    waitTimer = undefined;
    const next = queue[0];
    if (!next) return;
    const dueInMs = Math.max(0, next.openedAtMs + maxWaitMs - Date.now());
    waitTimer = setTimeout(() => {
      waitTimer = undefined;
      pump();
    }, dueInMs);
  }

  function dispatch(request: SharedRequest): void {
    const callers = request.callers.filter((c) => !c.settled);
    if (callers.length === 0) return;
    const entries = callers.flatMap((c) => c.entries);
    inFlight += 1;
    stats.requests += 1;
    stats.entries += entries.length;
    stats.callers += callers.length;
    void send(entries)
      .then(
        (results) => {
          let offset = 0;
          for (const caller of callers) {
            const n = caller.entries.length;
            caller.resolve(results === undefined ? undefined : results.slice(offset, offset + n));
            offset += n;
          }
        },
        (err: unknown) => {
          const error = err instanceof Error ? err : new Error(String(err));
          for (const caller of callers) caller.reject(error);
        },
      )
      .finally(() => {
        inFlight -= 1;
        schedulePump();
      });
  }

  return {
    put(entries, signal) {
      if (entries.length === 0) return Promise.resolve([]);
      if (signal?.aborted) return Promise.reject(abortReason(signal));
      return new Promise((resolve, reject) => {
        const onAbort = (): void => caller.reject(abortReason(signal));
        const settle = (): void => {
          caller.settled = true;
          signal?.removeEventListener('abort', onAbort);
        };
        const caller: Caller = {
          entries,
          settled: false,
          resolve: (results) => {
            if (caller.settled) return;
            settle();
            resolve(results);
          },
          reject: (err) => {
            if (caller.settled) return;
            settle();
            reject(err);
          },
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        enqueue(caller);
        schedulePump();
      });
    },
    stats: () => ({ ...stats }),
  };
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  const err = new Error('PutRecords aborted: the activity was cancelled');
  err.name = 'AbortError';
  return err;
}
