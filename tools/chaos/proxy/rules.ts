/**
 * Fault rules of the chaos proxy. Every rule is bounded: it injects at most `limit.count` faults and expires
 * `limit.durationMs` after it was added (a default applies when a test forgets), so a crashed test can never leave a
 * proxy failing forever.
 */

/**
 * Which entries of a batch request fail. `every` (the n-th, 2n-th, ... entry; `offset` = position of the first hit, 0-based)
 * counts entries across all requests the rule sees; `indexes` are positions within each request; `rate` is seeded.
 */
export type EntrySelector =
  | { mode: 'every'; n: number; offset?: number }
  | { mode: 'indexes'; indexes: readonly number[] }
  | { mode: 'rate'; rate: number; seed: number };

/** Which requests a request-level fault hits (default: all that match the operation). */
export type RequestSelector =
  { mode: 'every'; n: number; offset?: number } | { mode: 'rate'; rate: number; seed: number };

export type PutRecordsErrorCode = 'ProvisionedThroughputExceededException' | 'InternalFailure';

export type Fault =
  /** Kinesis PutRecords: chosen entries answered failed (cycling through `errorCodes`) and not forwarded. */
  | { kind: 'putRecordsEntries'; entries: EntrySelector; errorCodes?: readonly PutRecordsErrorCode[] }
  /** Kinesis PutRecords: HTTP 200, every entry failed, FailedRecordCount 0 (a lie); nothing forwarded. */
  | { kind: 'putRecordsLie'; errorCode?: PutRecordsErrorCode }
  /** SQS DeleteMessageBatch / ChangeMessageVisibilityBatch: chosen entries in Failed[] and not forwarded. */
  | { kind: 'sqsBatchEntries'; entries: EntrySelector; code?: string }
  /** HTTP 400 with the service's throttling error. */
  | { kind: 'throttle' }
  /** HTTP 500 InternalFailure/InternalError or 503 ServiceUnavailable. */
  | { kind: 'serverError'; status: 500 | 503 }
  /** Delay before forwarding (`before`) or before answering after the upstream answered (`after`). */
  | { kind: 'latency'; ms: number; phase?: 'before' | 'after' }
  /**
   * Never answer; the socket is destroyed after `maxHangMs` (bounded). `after`: the request is forwarded first, so it
   * takes effect upstream while the client sees a timeout (unknown outcome).
   */
  | { kind: 'hang'; maxHangMs: number; phase?: 'before' | 'after' }
  /** Destroy the client's socket (ECONNRESET / socket hang up); `after`: once the upstream has processed it. */
  | { kind: 'reset'; phase?: 'before' | 'after' };

export interface RuleLimit {
  /** Faults injected at most (entries for entry faults, requests otherwise). */
  count?: number;
  /** The rule expires this long after it was added. */
  durationMs?: number;
}

export interface FaultRule {
  /** Shown in stats; defaults to the fault kind. */
  name?: string;
  /** Operation names (e.g. `PutRecords`, `DeleteMessageBatch`); omitted: every operation. */
  operations?: readonly string[];
  /** Request-level faults only: which matching requests are hit. */
  requests?: RequestSelector;
  fault: Fault;
  limit?: RuleLimit;
}

/** A rule that forgot its time bound still ends. */
export const DEFAULT_RULE_DURATION_MS = 10 * 60_000;
/** Upper bound of any hang, whatever the rule says. */
export const MAX_HANG_MS = 5 * 60_000;

/** mulberry32: tiny seeded PRNG, so a random fault plan replays exactly with the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function isEntryFault(fault: Fault): fault is Extract<Fault, { kind: 'putRecordsEntries' | 'sqsBatchEntries' }> {
  return fault.kind === 'putRecordsEntries' || fault.kind === 'sqsBatchEntries';
}

/** Runtime state of one rule: its selectors' counters and PRNGs, its budget, its deadline. */
export class ActiveRule {
  readonly name: string;
  readonly expiresAtMs: number;
  injected = 0;
  private seen = 0;
  private readonly random: () => number;

  constructor(
    readonly rule: FaultRule,
    nowMs: number,
  ) {
    this.name = rule.name ?? rule.fault.kind;
    this.expiresAtMs = nowMs + Math.max(0, rule.limit?.durationMs ?? DEFAULT_RULE_DURATION_MS);
    const selector = isEntryFault(rule.fault) ? rule.fault.entries : rule.requests;
    this.random = seededRandom(selector?.mode === 'rate' ? selector.seed : 1);
  }

  /** Still has budget and time. */
  isLive(nowMs: number): boolean {
    if (nowMs >= this.expiresAtMs) return false;
    return this.rule.limit?.count === undefined || this.injected < this.rule.limit.count;
  }

  /** Live, and covers this operation. */
  applies(operation: string, nowMs: number): boolean {
    if (!this.isLive(nowMs)) return false;
    return this.rule.operations === undefined || this.rule.operations.includes(operation);
  }

  remaining(): number {
    return this.rule.limit?.count === undefined ? Infinity : this.rule.limit.count - this.injected;
  }

  /** Request-level faults: does this request get hit? Counts the injection. */
  selectRequest(): boolean {
    const selector = this.rule.requests;
    const position = this.seen++;
    const hit = selector === undefined ? true : this.pick(selector, position);
    if (hit) this.injected += 1;
    return hit;
  }

  /** Entry faults: the indexes (within this request) that fail, within the remaining budget. Counts them. */
  selectEntries(count: number): Set<number> {
    const fault = this.rule.fault;
    const failed = new Set<number>();
    if (!isEntryFault(fault)) return failed;
    for (let i = 0; i < count; i++) {
      const position = this.seen++;
      const selector = fault.entries;
      const hit = selector.mode === 'indexes' ? selector.indexes.includes(i) : this.pick(selector, position);
      if (hit && failed.size < this.remaining()) failed.add(i);
    }
    this.injected += failed.size;
    return failed;
  }

  private pick(selector: RequestSelector, position: number): boolean {
    if (selector.mode === 'rate') return this.random() < selector.rate;
    // Every n-th: positions n-1, 2n-1, ... by default; `offset` moves the first hit.
    const n = Math.max(1, Math.floor(selector.n));
    const first = selector.offset ?? n - 1;
    return position >= first && (position - first) % n === 0;
  }
}
