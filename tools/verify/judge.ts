import { z } from 'zod';
import { expectedEventId } from '../fleet/event-id';
import type { ExpectedEvent, SubmissionEntry, ValidEntry } from '../fleet/manifest';
import type { StreamRecord } from './stream-reader';

// The pure judge: compares what the fleet sent (manifest) with what is on the stream, against docs/contract.md#output and its guarantees as
// read independently of the product's transform (nothing from src/domain is imported, so a product bug cannot hide
// in both). No I/O: the CLI and the e2e test feed it.

export const CHECKS = [
  'lost',
  'in_flight',
  'unparseable_record',
  'wrong_shape',
  'extra_field',
  'wrong_value',
  'bad_time_created',
  'wrong_partition_key',
  'split_shards',
  'order',
  'duplicate_same_id',
  'duplicate_different_id',
  'extra_event',
  'leaked',
  'unexpected',
  'event_id_collision',
  'queue_not_empty',
  'dead_letter_not_empty',
  'nothing_judged',
  'stream_read_incomplete',
] as const;
export type CheckCode = (typeof CHECKS)[number];

export interface JudgeOptions {
  /** Fault mode: the same event may appear more than once, always with the same event_id (G3). */
  allowDuplicates?: boolean;
  /** Records that match no manifest entry are counted but not a violation (a shared, non-fresh stream). */
  allowUnexpected?: boolean;
  /** Extra output fields an enabled product option may add (docs/contract.md#output provenance), e.g. submission_id. */
  allowedExtraFields?: readonly string[];
  /** `manifest` (default): the key the fleet recorded; or a submission field; `any` skips the check. */
  partitionKey?: 'manifest' | 'device_id' | 'submission_id' | 'any';
  /**
   * Tolerated clock difference between the sender, the backend and the stream, both ways: time_created may be this much
   * before sentAt or after the record's arrival on the stream (ApproximateArrivalTimestamp).
   */
  clockSkewMs?: number;
  /** Latency percentiles cover only submissions sent at or after this time (ms); earlier ones are still judged. */
  latencySentFromMs?: number;
  /** Queue attributes read after the run; omitted: no queue check. */
  queue?: { visible: number; notVisible: number; delayed?: number };
  /**
   * The dead-letter queue's attributes read after the run; omitted: no check. Any message there is a failure: it is
   * where a redrive policy hides telemetry the pipeline never delivered (valid or not, nobody looks there).
   */
  deadLetterQueue?: { visible: number; notVisible: number; delayed?: number };
  /**
   * In-flight mode, for a running system: a missing event of a submission sent at or after this instant may still be
   * in the queue waiting for the next run, so it is counted as `in_flight` (a note), not `lost`. Older ones are lost.
   */
  inFlightSince?: Date;
  /**
   * Shards the stream reader gave up on while still behind the tip (see StreamReader.incompleteShards): records may be
   * missing from what the judge got, so no verdict built on it may pass.
   */
  incompleteShards?: readonly string[];
}

export interface CheckResult {
  count: number;
  /** Whether a non-zero count fails the run under the options given. */
  violation: boolean;
  examples: Record<string, unknown>[];
}

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface JudgeReport {
  ok: boolean;
  counts: {
    submissions: number;
    /** Submissions some check could actually reach: not still in flight (in-flight mode). Zero fails the run. */
    judgedSubmissions: number;
    validSubmissions: number;
    brokenSubmissions: number;
    expectedEvents: number;
    records: number;
    deliveredEvents: number;
    duplicateRecords: number;
    shards: number;
  };
  checks: Record<CheckCode, CheckResult>;
  latencyMs: LatencySummary | null;
}

const MAX_EXAMPLES = 5;
/** Ids at indices this far past a valid submission's last event are looked for too (extra events). */
const EXTRA_INDEX_WINDOW = 8;
/** Leaked events of a broken submission are looked for at indices below max(hint, this). */
const MIN_LEAK_WINDOW = 16;

const UTC_ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

/**
 * Epoch ms of an ISO 8601 UTC timestamp with Z, or NaN. Date.parse alone is not enough: V8 rolls an impossible date
 * over (2026-11-31 becomes 2026-12-01), so each field must survive the round trip through Date.
 */
export function parseUtcInstant(text: unknown): number {
  const m = typeof text === 'string' ? UTC_ISO.exec(text) : null;
  if (!m) return NaN;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const d = new Date(ms);
  const roundTrips =
    d.getUTCFullYear() === year &&
    d.getUTCMonth() === month - 1 &&
    d.getUTCDate() === day &&
    d.getUTCHours() === hour &&
    d.getUTCMinutes() === minute &&
    d.getUTCSeconds() === second;
  // Milliseconds as Date.parse takes them: the first three fraction digits, the rest dropped.
  return roundTrips ? ms + Number(`${m[7] ?? ''}000`.slice(0, 3)) : NaN;
}

const FIELDS = {
  new_process: ['cmdl', 'user', 'type', 'event_id', 'device_id', 'time_created'],
  network_connection: [
    'source_ip',
    'destination_ip',
    'destination_port',
    'type',
    'event_id',
    'device_id',
    'time_created',
  ],
} as const;

const common = { event_id: z.uuid(), device_id: z.string(), time_created: z.string() };
const outputEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('new_process'), cmdl: z.string(), user: z.string(), ...common }),
  z.object({
    type: z.literal('network_connection'),
    source_ip: z.string(),
    destination_ip: z.string(),
    destination_port: z.int(),
    ...common,
  }),
]);

interface ExpectedRef {
  entry: ValidEntry;
  index: number;
  event: ExpectedEvent;
}
interface Occurrence {
  record: StreamRecord;
  seq: bigint;
  /** The record's time_created: its instant in ms when valid, else the raw value (compared within a submission). */
  time: number | string;
}

function seqOf(record: StreamRecord): bigint {
  try {
    return BigInt(record.sequenceNumber);
  } catch {
    return -1n;
  }
}

function contentKey(fields: Record<string, unknown>): string {
  const keys = ['type', 'device_id', 'cmdl', 'user', 'source_ip', 'destination_ip', 'destination_port'];
  return JSON.stringify(keys.map((k) => fields[k] ?? null));
}

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? 0;
}

export function summarizeLatencies(values: number[]): LatencySummary | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? 0,
  };
}

/** Whether a submission is young enough that its missing events may still be waiting in the queue. */
function mayStillBeQueued(entry: Pick<SubmissionEntry, 'sentAt'>, inFlightSince: Date | undefined): boolean {
  return inFlightSince !== undefined && Date.parse(entry.sentAt) >= inFlightSince.getTime();
}

type Flag = (code: CheckCode, example: Record<string, unknown>, by?: number) => void;

/** Every check at zero, and the one way to count a finding (keeping the first few as examples). */
function newChecks(): { checks: Record<CheckCode, CheckResult>; flag: Flag } {
  const checks = Object.fromEntries(
    CHECKS.map((c) => [c, { count: 0, violation: false, examples: [] as Record<string, unknown>[] }]),
  ) as Record<CheckCode, CheckResult>;
  const flag: Flag = (code, example, by = 1) => {
    const c = checks[code];
    c.count += by;
    if (c.examples.length < MAX_EXAMPLES) c.examples.push(example);
  };
  return { checks, flag };
}

/** What the manifest lets the judge recognise on the stream, by event id and by content. */
interface Expectations {
  valid: ValidEntry[];
  expectedEvents: number;
  /** The events valid submissions must produce. */
  expected: Map<string, ExpectedRef>;
  /** Ids an event of a broken submission would have: any on the stream leaked through validation. */
  leakIds: Map<string, { messageId: string; brokenClass: string; index: number }>;
  /** Ids just past a valid submission's last event: an event the product invented. */
  extraIds: Map<string, { messageId: string; index: number }>;
  /** Expected events by content: a record with unknown id but known content is a duplicate with a new id. */
  byContent: Map<string, ExpectedRef[]>;
}

function expectationsOf(submissions: readonly SubmissionEntry[], flag: Flag): Expectations {
  const x: Expectations = {
    valid: submissions.filter((s): s is ValidEntry => s.status === 'valid'),
    expectedEvents: 0,
    expected: new Map(),
    leakIds: new Map(),
    extraIds: new Map(),
    byContent: new Map(),
  };
  for (const entry of x.valid) {
    entry.events.forEach((event, index) => {
      x.expectedEvents++;
      const id = entry.eventIds[index] ?? expectedEventId(entry.messageId, index);
      if (x.expected.has(id)) flag('event_id_collision', { eventId: id, messageId: entry.messageId, index });
      const ref = { entry, index, event };
      x.expected.set(id, ref);
      const key = contentKey(event);
      x.byContent.set(key, [...(x.byContent.get(key) ?? []), ref]);
    });
    for (let i = entry.events.length; i < entry.events.length + EXTRA_INDEX_WINDOW; i++) {
      x.extraIds.set(expectedEventId(entry.messageId, i), { messageId: entry.messageId, index: i });
    }
  }
  for (const entry of submissions) {
    if (entry.status !== 'broken') continue;
    for (let i = 0; i < Math.max(entry.eventCountHint, MIN_LEAK_WINDOW); i++) {
      x.leakIds.set(expectedEventId(entry.messageId, i), {
        messageId: entry.messageId,
        brokenClass: entry.brokenClass,
        index: i,
      });
    }
  }
  return x;
}

type Where = { shardId: string; sequenceNumber: string };

/** The record's JSON object, or undefined (flagged) when it is not one. */
function parseRecord(record: StreamRecord, where: Where, flag: Flag): Record<string, unknown> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(record.data);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    flag('unparseable_record', { ...where, data: record.data.slice(0, 200) });
    return undefined;
  }
  return parsed as Record<string, unknown>;
}

/** A record whose event id the manifest does not expect: leaked, invented, re-identified, or simply unknown. */
function classifyUnexpected(
  fields: Record<string, unknown>,
  record: StreamRecord,
  where: Where & { eventId: string },
  x: Expectations,
  flag: Flag,
): void {
  const leak = x.leakIds.get(where.eventId);
  const extra = x.extraIds.get(where.eventId);
  const sameContent = x.byContent.get(contentKey(fields));
  if (leak) flag('leaked', { ...where, ...leak });
  else if (extra) flag('extra_event', { ...where, ...extra });
  else if (sameContent && sameContent.length > 0) {
    const first = sameContent[0];
    flag('duplicate_different_id', {
      ...where,
      expectedEventId: first ? first.entry.eventIds[first.index] : undefined,
      messageId: first?.entry.messageId,
    });
  } else flag('unexpected', { ...where, data: record.data.slice(0, 200) });
}

/** An expected event's record against docs/contract.md#output: shape, fields, values, time_created, partition key. */
function checkContent(
  fields: Record<string, unknown>,
  record: StreamRecord,
  ref: ExpectedRef,
  ctx: Record<string, unknown>,
  options: JudgeOptions,
  flag: Flag,
): void {
  const shape = outputEventSchema.safeParse(fields);
  if (!shape.success) {
    flag('wrong_shape', { ...ctx, issues: shape.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
  }
  const allowedExtra = new Set(options.allowedExtraFields ?? []);
  const type = fields['type'];
  const known: readonly string[] =
    type === 'new_process' || type === 'network_connection' ? FIELDS[type] : FIELDS[ref.event.type];
  const extras = Object.keys(fields).filter((k) => !known.includes(k) && !allowedExtra.has(k));
  if (extras.length > 0) flag('extra_field', { ...ctx, fields: extras });
  const mismatched = Object.entries(ref.event).filter(([k, v]) => fields[k] !== v);
  if (mismatched.length > 0) {
    flag('wrong_value', {
      ...ctx,
      fields: mismatched.map(([k, v]) => ({ field: k, expected: v, actual: fields[k] })),
    });
  }
  checkTimeCreated(fields['time_created'], record, ref, ctx, options.clockSkewMs ?? 0, flag);
  checkPartitionKey(record, ref, ctx, options.partitionKey ?? 'manifest', flag);
}

/** time_created is a real UTC instant between the send and the record's arrival on the stream (docs/contract.md#output). */
function checkTimeCreated(
  tc: unknown,
  record: StreamRecord,
  ref: ExpectedRef,
  ctx: Record<string, unknown>,
  skew: number,
  flag: Flag,
): void {
  const tcMs = parseUtcInstant(tc);
  if (Number.isNaN(tcMs)) {
    flag('bad_time_created', { ...ctx, timeCreated: tc, reason: 'not a calendar instant in ISO 8601 UTC with Z' });
  } else if (tcMs < Date.parse(ref.entry.sentAt) - skew) {
    flag('bad_time_created', { ...ctx, timeCreated: tc, sentAt: ref.entry.sentAt, reason: 'before sentAt' });
  } else if (record.arrivalTime && tcMs > record.arrivalTime.getTime() + skew) {
    // The product stamps the time before it publishes: a later one was not the time it processed the submission.
    flag('bad_time_created', {
      ...ctx,
      timeCreated: tc,
      arrivalTime: record.arrivalTime.toISOString(),
      reason: 'after its arrival on the stream',
    });
  }
}

function checkPartitionKey(
  record: StreamRecord,
  ref: ExpectedRef,
  ctx: Record<string, unknown>,
  partitionKey: NonNullable<JudgeOptions['partitionKey']>,
  flag: Flag,
): void {
  if (partitionKey === 'any') return;
  const want =
    partitionKey === 'manifest'
      ? ref.entry.partitionKey
      : partitionKey === 'device_id'
        ? ref.entry.deviceId
        : ref.entry.submissionId;
  if (record.partitionKey !== want) {
    flag('wrong_partition_key', { ...ctx, partitionKey: record.partitionKey, expected: want });
  }
}

/** One pass over the stream: every record judged on its own; the expected ones collected by event id. */
function scanStream(
  records: readonly StreamRecord[],
  x: Expectations,
  options: JudgeOptions,
  flag: Flag,
): Map<string, Occurrence[]> {
  const occurrences = new Map<string, Occurrence[]>();
  for (const record of records) {
    const where = { shardId: record.shardId, sequenceNumber: record.sequenceNumber };
    const fields = parseRecord(record, where, flag);
    if (!fields) continue;
    const eventId = typeof fields['event_id'] === 'string' ? fields['event_id'] : '';
    const ref = x.expected.get(eventId);
    if (!ref) {
      classifyUnexpected(fields, record, { ...where, eventId }, x, flag);
      continue;
    }
    const tc = fields['time_created'];
    const tcMs = parseUtcInstant(tc);
    const time = Number.isNaN(tcMs) ? JSON.stringify(tc ?? null) : tcMs;
    occurrences.set(eventId, [...(occurrences.get(eventId) ?? []), { record, seq: seqOf(record), time }]);
    const ctx = { ...where, eventId, messageId: ref.entry.messageId, index: ref.index };
    checkContent(fields, record, ref, ctx, options, flag);
  }
  return occurrences;
}

interface Deliveries {
  delivered: number;
  duplicateRecords: number;
  latencies: number[];
  judged: number;
}

/** Per valid submission: each event delivered (once, or flagged), all on one shard, in order. */
function judgeSubmission(
  entry: ValidEntry,
  occurrences: Map<string, Occurrence[]>,
  options: JudgeOptions,
  tally: Deliveries,
  flag: Flag,
): void {
  const firsts: { index: number; first: Occurrence }[] = [];
  const entryShards = new Set<string>();
  let inFlight = 0;
  entry.events.forEach((_, index) => {
    const id = entry.eventIds[index] ?? expectedEventId(entry.messageId, index);
    const occ = occurrences.get(id) ?? [];
    if (occ.length === 0) {
      const missing = { messageId: entry.messageId, index, eventId: id, deviceId: entry.deviceId };
      const queued = mayStillBeQueued(entry, options.inFlightSince);
      if (queued) inFlight++;
      flag(queued ? 'in_flight' : 'lost', { ...missing, sentAt: entry.sentAt });
      return;
    }
    tally.delivered++;
    if (occ.length > 1) {
      tally.duplicateRecords += occ.length - 1;
      const at = occ.map((o) => `${o.record.shardId}/${o.record.sequenceNumber}`);
      flag('duplicate_same_id', { messageId: entry.messageId, index, eventId: id, at }, occ.length - 1);
    }
    for (const o of occ) entryShards.add(o.record.shardId);
    // A deduplicating consumer keeps the first copy: order and latency are judged on it.
    const first = occ.reduce((a, b) => (b.seq < a.seq ? b : a));
    firsts.push({ index, first });
    const sentAtMs = Date.parse(entry.sentAt);
    if (first.record.arrivalTime && sentAtMs >= (options.latencySentFromMs ?? -Infinity)) {
      tally.latencies.push(first.record.arrivalTime.getTime() - sentAtMs);
    }
  });
  // A submission whose every event may still be queued was not judged at all; one without events, once it is old enough.
  const waiting =
    entry.events.length === 0 ? mayStillBeQueued(entry, options.inFlightSince) : inFlight === entry.events.length;
  if (!waiting) tally.judged++;
  checkOneTimePerDelivery(entry, occurrences, flag);
  if (entryShards.size > 1) {
    flag('split_shards', { messageId: entry.messageId, shards: [...entryShards] });
    return;
  }
  checkOrder(entry, firsts, flag);
}

/**
 * One processing time per delivery (docs/contract.md#output, G3): every delivery publishes from the submission's first
 * event on (G2 order), so each delivery's time appears on a copy of event 0, and any other event's time must be one of
 * those. Without duplicates that means one time for the whole submission; a redelivered copy may bring a later one.
 */
function checkOneTimePerDelivery(entry: ValidEntry, occurrences: Map<string, Occurrence[]>, flag: Flag): void {
  const idOf = (index: number): string => entry.eventIds[index] ?? expectedEventId(entry.messageId, index);
  const deliveryTimes = new Set((occurrences.get(idOf(0)) ?? []).map((o) => o.time));
  // Event 0 lost: flagged already, and nothing left to tell the deliveries apart by.
  if (deliveryTimes.size === 0) return;
  for (let index = 1; index < entry.events.length; index++) {
    for (const o of occurrences.get(idOf(index)) ?? []) {
      if (deliveryTimes.has(o.time)) continue;
      flag('bad_time_created', {
        messageId: entry.messageId,
        index,
        shardId: o.record.shardId,
        sequenceNumber: o.record.sequenceNumber,
        reason: 'not the time of any delivery of the submission (no copy of its first event has it)',
      });
    }
  }
}

/** Broken submissions are judged by the leak check, unless they may still be waiting in the queue (in-flight mode). */
function judgedBroken(submissions: readonly SubmissionEntry[], options: JudgeOptions): number {
  return submissions.filter((s) => s.status === 'broken' && !mayStillBeQueued(s, options.inFlightSince)).length;
}

function checkOrder(entry: ValidEntry, firsts: { index: number; first: Occurrence }[], flag: Flag): void {
  for (let i = 1; i < firsts.length; i++) {
    const prev = firsts[i - 1];
    const cur = firsts[i];
    if (prev && cur && !(cur.first.seq > prev.first.seq)) {
      flag('order', {
        messageId: entry.messageId,
        earlierIndex: prev.index,
        earlierSequence: prev.first.record.sequenceNumber,
        laterIndex: cur.index,
        laterSequence: cur.first.record.sequenceNumber,
      });
    }
  }
}

/** Messages left in the queue or dead-lettered are failures whatever the stream shows. */
function checkQueues(options: JudgeOptions, flag: Flag): void {
  if (options.queue) {
    const { visible, notVisible, delayed = 0 } = options.queue;
    if (visible + notVisible + delayed > 0) flag('queue_not_empty', { visible, notVisible, delayed });
  }
  if (options.deadLetterQueue) {
    const { visible, notVisible, delayed = 0 } = options.deadLetterQueue;
    if (visible + notVisible + delayed > 0) flag('dead_letter_not_empty', { visible, notVisible, delayed });
  }
}

/** Which non-zero counts fail the run: all but the notes and what the options tolerate. */
function markViolations(checks: Record<CheckCode, CheckResult>, options: JudgeOptions): void {
  for (const code of CHECKS) {
    const c = checks[code];
    const tolerated =
      code === 'in_flight' ||
      (code === 'duplicate_same_id' && options.allowDuplicates === true) ||
      (code === 'unexpected' && options.allowUnexpected === true);
    c.violation = c.count > 0 && !tolerated;
  }
}

export function judge(
  submissions: readonly SubmissionEntry[],
  records: readonly StreamRecord[],
  options: JudgeOptions = {},
): JudgeReport {
  const { checks, flag } = newChecks();
  const x = expectationsOf(submissions, flag);
  const occurrences = scanStream(records, x, options, flag);
  const tally: Deliveries = { delivered: 0, duplicateRecords: 0, latencies: [], judged: 0 };
  for (const entry of x.valid) judgeSubmission(entry, occurrences, options, tally, flag);
  const judgedSubmissions = tally.judged + judgedBroken(submissions, options);
  // Zero submissions judged proves nothing about the stream: an empty manifest or everything still in flight.
  if (judgedSubmissions === 0) flag('nothing_judged', { submissions: submissions.length });
  const incomplete = options.incompleteShards ?? [];
  if (incomplete.length > 0) flag('stream_read_incomplete', { shards: [...incomplete] }, incomplete.length);
  checkQueues(options, flag);
  markViolations(checks, options);
  return {
    ok: CHECKS.every((c) => !checks[c].violation),
    counts: {
      submissions: submissions.length,
      judgedSubmissions,
      validSubmissions: x.valid.length,
      brokenSubmissions: submissions.length - x.valid.length,
      expectedEvents: x.expectedEvents,
      records: records.length,
      deliveredEvents: tally.delivered,
      duplicateRecords: tally.duplicateRecords,
      shards: new Set(records.map((r) => r.shardId)).size,
    },
    checks,
    latencyMs: summarizeLatencies(tally.latencies),
  };
}

/** Human-readable report: one line per check, examples for violations. */
export function formatReport(report: JudgeReport): string {
  const lines: string[] = [];
  const c = report.counts;
  lines.push(
    `submissions ${c.submissions} (valid ${c.validSubmissions}, broken ${c.brokenSubmissions}, judged ${c.judgedSubmissions})  expected events ${c.expectedEvents}`,
    `records ${c.records} on ${c.shards} shard(s)  delivered events ${c.deliveredEvents}  duplicate records ${c.duplicateRecords}`,
  );
  const l = report.latencyMs;
  lines.push(
    l
      ? `latency sent->arrival ms: p50 ${l.p50}  p95 ${l.p95}  p99 ${l.p99}  max ${l.max}  (n=${l.count})`
      : 'latency: no data',
  );
  for (const code of CHECKS) {
    const r = report.checks[code];
    const status = r.count === 0 ? 'ok  ' : r.violation ? 'FAIL' : 'note';
    lines.push(`  ${status} ${code.padEnd(24)} ${r.count}`);
    if (r.count > 0) for (const ex of r.examples) lines.push(`         ${JSON.stringify(ex)}`);
  }
  lines.push(report.ok ? 'RESULT: PASS' : 'RESULT: FAIL');
  return lines.join('\n');
}
