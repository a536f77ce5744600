import type { KinesisClient } from '@aws-sdk/client-kinesis';
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
import { formatReport, judge, readAllRecords, readQueueDepth } from '../verify';
import { StreamReader, type StreamRecord } from '../verify/stream-reader';
import type { ArrivalClock } from './stack';
import type { VerifyFigures } from './types';

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
  /** Wall-clock first-readable times (StreamTailer): when given, latency is measured against them instead. */
  readableAt?: ReadonlyMap<string, number>,
): Promise<{ figures: VerifyFigures; latency: ReturnType<typeof judge>['latencyMs'] }> {
  const records = (await readAllRecords(clients.kinesis, streamName)).map((r) => {
    if (readableAt) {
      const seen = readableAt.get(recordKey(r));
      // A record the tailer never saw has no wall-clock time: it is left out of the percentiles, never counted fast.
      const { shardId, sequenceNumber, partitionKey, data } = r;
      const unstamped: StreamRecord = { shardId, sequenceNumber, partitionKey, data };
      return seen === undefined ? unstamped : { ...unstamped, arrivalTime: new Date(seen) };
    }
    return r.arrivalTime ? { ...r, arrivalTime: new Date(r.arrivalTime.getTime() - arrivalOffsetMs) } : r;
  });
  const depth = queueUrl ? await readQueueDepth(clients.sqs, queueUrl) : undefined;
  const report = judge(submissions, records, {
    ...(depth ? { queue: { visible: depth.visible, notVisible: depth.notVisible, delayed: depth.delayed } } : {}),
  });
  const failed = Object.entries(report.checks)
    .filter(([, c]) => c.violation)
    .map(([code, c]) => `${code}=${c.count}`);
  const c = report.counts;
  return {
    figures: {
      ok: report.ok,
      deliveredEvents: c.deliveredEvents,
      expectedEvents: c.expectedEvents,
      duplicates: c.duplicateRecords,
      detail: report.ok
        ? `PASS: ${c.deliveredEvents}/${c.expectedEvents} events, ${c.records} records on ${c.shards} shards, queue empty`
        : `FAIL: ${failed.join(', ')}\n${formatReport(report)}`,
    },
    latency: report.latencyMs,
  };
}

/**
 * Reads the emulator clock again and verifies the stream with the mean of the offsets before and after the run
 * (kinesis-local stamps arrivals with its own clock, see ArrivalClock).
 */
export async function verifyWithClock(
  ctx: { clients: { sqs: SQSClient; kinesis: KinesisClient }; clock: Pick<ArrivalClock, 'offsetMs'> },
  submissions: readonly SubmissionEntry[],
  target: { streamName: string; queueUrl: string },
  clockBeforeMs: number,
  readableAt?: ReadonlyMap<string, number>,
): Promise<Awaited<ReturnType<typeof verifyRun>> & { clockOffsetMs: { before: number; after: number } }> {
  const clockAfterMs = await ctx.clock.offsetMs();
  const verified = await verifyRun(
    ctx.clients,
    submissions,
    target.streamName,
    target.queueUrl,
    (clockBeforeMs + clockAfterMs) / 2,
    readableAt,
  );
  return { ...verified, clockOffsetMs: { before: clockBeforeMs, after: clockAfterMs } };
}

export const recordKey = (r: Pick<StreamRecord, 'shardId' | 'sequenceNumber'>): string =>
  `${r.shardId}/${r.sequenceNumber}`;

/**
 * Reads the stream continuously while a steady load runs and notes the wall-clock time each record was first readable
 * (what a consumer sees), so latency does not rest on the emulator's arrival stamps. Its resolution is one poll
 * (pollMs plus one GetRecords round per shard).
 */
export class StreamTailer {
  readonly readableAt = new Map<string, number>();
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly kinesis: KinesisClient,
    private readonly streamName: string,
    private readonly pollMs = 100,
  ) {}

  start(): void {
    const reader = new StreamReader(this.kinesis, this.streamName);
    this.loop = (async () => {
      while (!this.stopped) {
        const fresh = await reader.poll();
        const now = Date.now();
        for (const r of fresh) if (!this.readableAt.has(recordKey(r))) this.readableAt.set(recordKey(r), now);
        await sleep(this.pollMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}
