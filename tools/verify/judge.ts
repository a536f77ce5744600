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
  /** Tolerated clock difference between sender and backend for "time_created not before sentAt". */
  clockSkewMs?: number;
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

const UTC_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

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
function mayStillBeQueued(entry: ValidEntry, inFlightSince: Date | undefined): boolean {
  return inFlightSince !== undefined && Date.parse(entry.sentAt) >= inFlightSince.getTime();
}

export function judge(
  submissions: readonly SubmissionEntry[],
  records: readonly StreamRecord[],
  options: JudgeOptions = {},
): JudgeReport {
  const checks = Object.fromEntries(
    CHECKS.map((c) => [c, { count: 0, violation: false, examples: [] as Record<string, unknown>[] }]),
  ) as Record<CheckCode, CheckResult>;
  const flag = (code: CheckCode, example: Record<string, unknown>, by = 1): void => {
    const c = checks[code];
    c.count += by;
    if (c.examples.length < MAX_EXAMPLES) c.examples.push(example);
  };
  const allowedExtra = new Set(options.allowedExtraFields ?? []);
  const partitionKey = options.partitionKey ?? 'manifest';
  const skew = options.clockSkewMs ?? 0;

  // Expectations.
  const expected = new Map<string, ExpectedRef>();
  const leakIds = new Map<string, { messageId: string; brokenClass: string; index: number }>();
  const extraIds = new Map<string, { messageId: string; index: number }>();
  const byContent = new Map<string, ExpectedRef[]>();
  let expectedEvents = 0;
  const valid = submissions.filter((s): s is ValidEntry => s.status === 'valid');
  for (const entry of valid) {
    entry.events.forEach((event, index) => {
      expectedEvents++;
      const id = entry.eventIds[index] ?? expectedEventId(entry.messageId, index);
      if (expected.has(id)) flag('event_id_collision', { eventId: id, messageId: entry.messageId, index });
      const ref = { entry, index, event };
      expected.set(id, ref);
      const key = contentKey(event);
      byContent.set(key, [...(byContent.get(key) ?? []), ref]);
    });
    for (let i = entry.events.length; i < entry.events.length + EXTRA_INDEX_WINDOW; i++) {
      extraIds.set(expectedEventId(entry.messageId, i), { messageId: entry.messageId, index: i });
    }
  }
  for (const entry of submissions) {
    if (entry.status !== 'broken') continue;
    for (let i = 0; i < Math.max(entry.eventCountHint, MIN_LEAK_WINDOW); i++) {
      leakIds.set(expectedEventId(entry.messageId, i), {
        messageId: entry.messageId,
        brokenClass: entry.brokenClass,
        index: i,
      });
    }
  }

  // One pass over the stream.
  const occurrences = new Map<string, Occurrence[]>();
  for (const record of records) {
    const where = { shardId: record.shardId, sequenceNumber: record.sequenceNumber };
    let parsed: unknown;
    try {
      parsed = JSON.parse(record.data);
    } catch {
      flag('unparseable_record', { ...where, data: record.data.slice(0, 200) });
      continue;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      flag('unparseable_record', { ...where, data: record.data.slice(0, 200) });
      continue;
    }
    const fields = parsed as Record<string, unknown>;
    const eventId = typeof fields['event_id'] === 'string' ? fields['event_id'] : '';
    const ref = expected.get(eventId);
    if (!ref) {
      const leak = leakIds.get(eventId);
      const extra = extraIds.get(eventId);
      const sameContent = byContent.get(contentKey(fields));
      if (leak) flag('leaked', { ...where, eventId, ...leak });
      else if (extra) flag('extra_event', { ...where, eventId, ...extra });
      else if (sameContent && sameContent.length > 0) {
        const first = sameContent[0];
        flag('duplicate_different_id', {
          ...where,
          eventId,
          expectedEventId: first ? first.entry.eventIds[first.index] : undefined,
          messageId: first?.entry.messageId,
        });
      } else flag('unexpected', { ...where, eventId, data: record.data.slice(0, 200) });
      continue;
    }
    const occ = occurrences.get(eventId) ?? [];
    occ.push({ record, seq: seqOf(record) });
    occurrences.set(eventId, occ);
    const ctx = { ...where, eventId, messageId: ref.entry.messageId, index: ref.index };

    const shape = outputEventSchema.safeParse(fields);
    if (!shape.success) {
      flag('wrong_shape', { ...ctx, issues: shape.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
    }
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
    const tc = fields['time_created'];
    const tcMs = typeof tc === 'string' && UTC_ISO.test(tc) ? Date.parse(tc) : NaN;
    if (Number.isNaN(tcMs)) flag('bad_time_created', { ...ctx, timeCreated: tc, reason: 'not ISO 8601 UTC with Z' });
    else if (tcMs < Date.parse(ref.entry.sentAt) - skew) {
      flag('bad_time_created', { ...ctx, timeCreated: tc, sentAt: ref.entry.sentAt, reason: 'before sentAt' });
    }
    if (partitionKey !== 'any') {
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
  }

  // Per event and per submission.
  const latencies: number[] = [];
  let delivered = 0;
  let duplicateRecords = 0;
  const shards = new Set(records.map((r) => r.shardId));
  for (const entry of valid) {
    const firsts: { index: number; first: Occurrence }[] = [];
    const entryShards = new Set<string>();
    entry.events.forEach((_, index) => {
      const id = entry.eventIds[index] ?? expectedEventId(entry.messageId, index);
      const occ = occurrences.get(id) ?? [];
      if (occ.length === 0) {
        const missing = { messageId: entry.messageId, index, eventId: id, deviceId: entry.deviceId };
        flag(mayStillBeQueued(entry, options.inFlightSince) ? 'in_flight' : 'lost', {
          ...missing,
          sentAt: entry.sentAt,
        });
        return;
      }
      delivered++;
      if (occ.length > 1) {
        duplicateRecords += occ.length - 1;
        flag(
          'duplicate_same_id',
          {
            messageId: entry.messageId,
            index,
            eventId: id,
            at: occ.map((o) => `${o.record.shardId}/${o.record.sequenceNumber}`),
          },
          occ.length - 1,
        );
      }
      for (const o of occ) entryShards.add(o.record.shardId);
      // A deduplicating consumer keeps the first copy: order and latency are judged on it.
      const first = occ.reduce((a, b) => (b.seq < a.seq ? b : a));
      firsts.push({ index, first });
      if (first.record.arrivalTime) latencies.push(first.record.arrivalTime.getTime() - Date.parse(entry.sentAt));
    });
    if (entryShards.size > 1) {
      flag('split_shards', { messageId: entry.messageId, shards: [...entryShards] });
      continue;
    }
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

  if (options.queue) {
    const { visible, notVisible, delayed = 0 } = options.queue;
    if (visible + notVisible + delayed > 0) flag('queue_not_empty', { visible, notVisible, delayed });
  }
  if (options.deadLetterQueue) {
    const { visible, notVisible, delayed = 0 } = options.deadLetterQueue;
    if (visible + notVisible + delayed > 0) flag('dead_letter_not_empty', { visible, notVisible, delayed });
  }

  for (const code of CHECKS) {
    const c = checks[code];
    const tolerated =
      code === 'in_flight' ||
      (code === 'duplicate_same_id' && options.allowDuplicates === true) ||
      (code === 'unexpected' && options.allowUnexpected === true);
    c.violation = c.count > 0 && !tolerated;
  }

  return {
    ok: CHECKS.every((c) => !checks[c].violation),
    counts: {
      submissions: submissions.length,
      validSubmissions: valid.length,
      brokenSubmissions: submissions.length - valid.length,
      expectedEvents,
      records: records.length,
      deliveredEvents: delivered,
      duplicateRecords,
      shards: shards.size,
    },
    checks,
    latencyMs: summarizeLatencies(latencies),
  };
}

/** Human-readable report: one line per check, examples for violations. */
export function formatReport(report: JudgeReport): string {
  const lines: string[] = [];
  const c = report.counts;
  lines.push(
    `submissions ${c.submissions} (valid ${c.validSubmissions}, broken ${c.brokenSubmissions})  expected events ${c.expectedEvents}`,
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
