import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createFleetGenerator,
  generateSubmissions,
  type FleetOptions,
  type PlannedSubmission,
} from '../fleet/generate';
import type { SubmissionEntry } from '../fleet/manifest';
import { sendSubmissions, toManifestEntry, type SendResult } from '../fleet/send';
import { formatReport, judge, readQueueDepth, StreamReader, summarizeLatencies, type LatencySummary } from '../verify';
import type { StreamRecord } from '../verify/stream-reader';
import type { ArrivalClock } from './stack';
import type { TailerFigures, VerifyFigures } from './types';

/** The original fleet's mix (docs/contract.md#input): ~9.6 % broken, 3–5 events of each type, mostly base64 bodies. */
export function fleetOptions(seed: number, startTimeMs: number): FleetOptions {
  return {
    seed,
    devices: 10,
    brokenShare: 0.096,
    eventsMin: 3,
    eventsMax: 5,
    plainJsonShare: 0.1,
    startTimeMs,
  };
}

export function planLoad(seed: number, count: number): PlannedSubmission[] {
  return generateSubmissions(fleetOptions(seed, Date.now()), count);
}

/** The large-submission mix: a share of the valid submissions carry `events` events each (near the 1,000 limit). */
export interface LargeMix {
  share: number;
  events: number;
}

/**
 * The original fleet's mix with a share of near-limit submissions (the fleet simulator's --large-share), as many
 * submissions as it takes to reach `targetEvents` events, or exactly `count` when given. Matching the ordinary load's
 * event count keeps the comparison fair: kinesis-local slows down as a stream fills (docs/benchmark.md).
 */
export function planLargeLoad(
  seed: number,
  mix: LargeMix,
  size: { targetEvents: number } | { count: number },
): PlannedSubmission[] {
  const generator = createFleetGenerator({
    ...fleetOptions(seed, Date.now()),
    largeShare: mix.share,
    largeEvents: mix.events,
  });
  const planned: PlannedSubmission[] = [];
  let events = 0;
  const done = (): boolean => ('count' in size ? planned.length >= size.count : events >= size.targetEvents);
  while (!done()) {
    const next = generator.next();
    planned.push(next);
    if (next.status === 'valid') events += next.events.length;
  }
  return planned;
}

export function expectedEvents(planned: readonly PlannedSubmission[]): number {
  return planned.reduce((sum, p) => sum + (p.status === 'valid' ? p.events.length : 0), 0);
}

export function manifestOf(results: readonly SendResult[]): SubmissionEntry[] {
  return results.map((r) => toManifestEntry(r)).flatMap((e) => (e.kind === 'submission' ? [e] : []));
}

/** Backlog mode's preload: every submission on the queue before any consumer starts (every entry checked). */
export async function preload(
  sqs: SQSClient,
  queueUrl: string,
  planned: readonly PlannedSubmission[],
): Promise<SubmissionEntry[]> {
  const results = await sendSubmissions(sqs, planned, { queueUrl, concurrency: 8 });
  const submissions = manifestOf(results);
  if (submissions.length !== planned.length) {
    throw new Error(`preload: only ${submissions.length} of ${planned.length} submissions reached the queue`);
  }
  return submissions;
}

/**
 * Every run ends here: the independent verifier reads every shard and judges the stream against what was sent
 * (exactly once, order, exact fields, nothing from broken submissions, queue empty). A fast wrong answer is no result.
 */
export async function verifyRun(
  clients: { sqs: SQSClient; kinesis: KinesisClient },
  submissions: readonly SubmissionEntry[],
  streamName: string,
  queueUrl: string | null,
  /** The emulator clock's offset (see ArrivalClock): arrival timestamps are shifted back by it. */
  arrivalOffsetMs = 0,
  /** Steady mode: latency against the tailer's first-readable times, for submissions sent after the warm-up. */
  wallClock?: WallClockLatency,
  /** How far the corrected arrival times may be off: the judge's margin for "time_created not after the arrival". */
  clockSkewMs = 0,
): Promise<{ figures: VerifyFigures; latency: LatencySummary | null; tailer?: TailerFigures }> {
  const readableAt = wallClock?.readableAt;
  // The reader, not readAllRecords: a shard it could not read to its tip goes to the judge, which fails the run on it.
  const reader = new StreamReader(clients.kinesis, streamName);
  await reader.poll();
  const onStream = reader.records.map((r) =>
    r.arrivalTime ? { ...r, arrivalTime: new Date(r.arrivalTime.getTime() - arrivalOffsetMs) } : r,
  );
  const records = readableAt ? onStream.map((r) => stampedWith(r, readableAt.get(recordKey(r)))) : onStream;
  const depth = queueUrl ? await readQueueDepth(clients.sqs, queueUrl) : undefined;
  const report = judge(submissions, records, {
    ...(wallClock ? { latencySentFromMs: wallClock.sentFromMs } : {}),
    ...(depth ? { queue: { visible: depth.visible, notVisible: depth.notVisible, delayed: depth.delayed } } : {}),
    incompleteShards: reader.incompleteShards(),
    clockSkewMs,
  });
  // Steady mode's latency is send → first read by the tailer: a record it never saw would simply be left out of the
  // percentiles (the slowest ones, most likely), so a missed record fails the run instead.
  const missed = readableAt ? onStream.filter((r) => !readableAt.has(recordKey(r))).length : 0;
  const failed = [
    ...Object.entries(report.checks)
      .filter(([, c]) => c.violation)
      .map(([code, c]) => `${code}=${c.count}`),
    ...(missed > 0 ? [`tailer_missed=${missed}`] : []),
  ];
  const c = report.counts;
  return {
    figures: {
      ok: report.ok && missed === 0,
      deliveredEvents: c.deliveredEvents,
      expectedEvents: c.expectedEvents,
      duplicates: c.duplicateRecords,
      detail:
        failed.length === 0
          ? `PASS: ${c.deliveredEvents}/${c.expectedEvents} events, ${c.records} records on ${c.shards} shards, queue empty`
          : `FAIL: ${failed.join(', ')}${missed > 0 ? ` (the tailer never saw ${missed} of ${c.records} records: no latency for them)` : ''}\n${formatReport(report)}`,
    },
    latency: report.latencyMs,
    ...(wallClock ? { tailer: tailerFigures(submissions, { onStream, stamped: records }, wallClock) } : {}),
  };
}

/** A record stamped with the wall-clock time the tailer first read it; one it never saw fails the run (verifyRun). */
function stampedWith(r: StreamRecord, seenAtMs: number | undefined): StreamRecord {
  const { shardId, sequenceNumber, partitionKey, data } = r;
  const unstamped: StreamRecord = { shardId, sequenceNumber, partitionKey, data };
  return seenAtMs === undefined ? unstamped : { ...unstamped, arrivalTime: new Date(seenAtMs) };
}

export interface WallClockLatency {
  /** First-readable time per record (StreamTailer). */
  readableAt: ReadonlyMap<string, number>;
  /** The end of the warm-up: submissions sent before it are verified but left out of the percentiles. */
  sentFromMs: number;
}

function tailerFigures(
  submissions: readonly SubmissionEntry[],
  { onStream, stamped }: { onStream: StreamRecord[]; stamped: StreamRecord[] },
  { readableAt, sentFromMs }: WallClockLatency,
): TailerFigures {
  const delays = onStream.flatMap((r) => {
    const seen = readableAt.get(recordKey(r));
    return seen === undefined || !r.arrivalTime ? [] : [seen - r.arrivalTime.getTime()];
  });
  const arrival = judge(submissions, onStream, { latencySentFromMs: sentFromMs }).latencyMs;
  return {
    arrivalLatencyMs: arrival,
    delayMs: summarizeLatencies(delays),
    withWarmupMs: judge(submissions, stamped).latencyMs,
  };
}

/** What one arrival-clock probe may be off by: the emulator stamps the record somewhere inside the request's round trip. */
const ARRIVAL_PROBE_MARGIN_MS = 100;

/**
 * Reads the emulator clock again and verifies the stream with the mean of the offsets before and after the run
 * (kinesis-local stamps arrivals with its own clock, see ArrivalClock).
 */
export async function verifyWithClock(
  ctx: { clients: { sqs: SQSClient; kinesis: KinesisClient }; clock: Pick<ArrivalClock, 'offsetMs'> },
  submissions: readonly SubmissionEntry[],
  target: { streamName: string; queueUrl: string },
  clockBeforeMs: number,
  wallClock?: WallClockLatency,
): Promise<Awaited<ReturnType<typeof verifyRun>> & { clockOffsetMs: { before: number; after: number } }> {
  const clockAfterMs = await ctx.clock.offsetMs();
  const verified = await verifyRun(
    ctx.clients,
    submissions,
    target.streamName,
    target.queueUrl,
    (clockBeforeMs + clockAfterMs) / 2,
    wallClock,
    // The mean offset is off by up to half the drift over the run, and each probe by where in its round trip the
    // emulator stamped it.
    Math.ceil(Math.abs(clockAfterMs - clockBeforeMs) / 2) + ARRIVAL_PROBE_MARGIN_MS,
  );
  return { ...verified, clockOffsetMs: { before: clockBeforeMs, after: clockAfterMs } };
}

export const recordKey = (r: Pick<StreamRecord, 'shardId' | 'sequenceNumber'>): string =>
  `${r.shardId}/${r.sequenceNumber}`;

/**
 * Reads the stream continuously while a steady load runs and notes the wall-clock time each record was first readable
 * (what a consumer sees), so latency does not rest on the emulator's arrival stamps. One loop per shard stamps a
 * response's records the moment it returns and reads again `pollMs` later: 200 ms is Kinesis' limit of 5 reads per
 * second per shard, the fastest a real polling consumer may read, and keeps the tailer's own load on the
 * single-threaded emulator bounded under heavy load. Its resolution is `pollMs` plus one GetRecords (measured per
 * run: `delayMs`, readable − arrival).
 */
export class StreamTailer {
  readonly readableAt = new Map<string, number>();
  /** Failed GetRecords calls (throttled, expired iterator), retried. */
  errors = 0;
  private stopped = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly kinesis: KinesisClient,
    private readonly streamName: string,
    private readonly pollMs = 200,
  ) {}

  async start(): Promise<void> {
    const shards = await this.kinesis.send(new ListShardsCommand({ StreamName: this.streamName }));
    this.loops = (shards.Shards ?? []).map((shard) => this.tailShard(shard.ShardId ?? ''));
  }

  private async tailShard(shardId: string): Promise<void> {
    let iterator = await this.iteratorAfter(shardId, undefined);
    let last: string | undefined;
    while (!this.stopped && iterator) {
      let page;
      try {
        page = await this.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      } catch (err) {
        // Throttled (kinesis-local may enforce GetRecords limits) or an expired iterator: read on from the last record.
        this.errors += 1;
        if (this.errors > 1000) throw err;
        await sleep(4 * this.pollMs);
        iterator = await this.iteratorAfter(shardId, last);
        continue;
      }
      const now = Date.now();
      const records = page.Records ?? [];
      for (const r of records) {
        last = r.SequenceNumber ?? last;
        const key = recordKey({ shardId, sequenceNumber: r.SequenceNumber ?? '' });
        if (!this.readableAt.has(key)) this.readableAt.set(key, now);
      }
      iterator = page.NextShardIterator;
      await sleep(this.pollMs);
    }
  }

  private async iteratorAfter(shardId: string, sequenceNumber: string | undefined): Promise<string | undefined> {
    const out = await this.kinesis.send(
      new GetShardIteratorCommand({
        StreamName: this.streamName,
        ShardId: shardId,
        ...(sequenceNumber
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: sequenceNumber }
          : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
    );
    return out.ShardIterator;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }
}
