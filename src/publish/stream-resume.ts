import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type GetRecordsCommandOutput,
  type KinesisClient,
  type ListShardsCommandInput,
} from '@aws-sdk/client-kinesis';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AckProgress, SubmissionRecords } from './plan';
import { awsErrorName } from '../aws/failure';

/**
 * Events that may already be on the stream: those a lost publish attempt had in flight, and those of a redelivered
 * message whose earlier delivery was published (fully or in part) before its worker was lost. Publishing them again
 * makes duplicates (allowed by G3, docs/contract.md, but each one is work for the analysts' pipeline). This scan reads
 * the stream from just before the moment they could first have been sent and moves each submission's progress past
 * the events it finds there, in order, matched by event_id (a redelivered copy has a later time_created, same ids).
 */
export interface StreamResumeOptions {
  /** The earliest moment (ms) any of the pending events could have been sent: the scan reads from there. */
  sinceMs: number;
  /** Gives up (keeping what it found) after this long: a slow scan must not outlast the activity's heartbeat timeout. */
  budgetMs: number;
  now?: () => number;
}

export interface StreamResumeResult {
  /** Events found on the stream and added to the progress. */
  found: number;
  /** The time_created of each event found, by event id: an earlier delivery's processing time. */
  timesFound: Map<string, string>;
  recordsRead: number;
  /** False when the budget ran out or a shard could not be read: some events may still be published twice. */
  complete: boolean;
  /** Why the scan stopped early, for the log. */
  problem?: string;
}

/** Read from this long before `sinceMs`: clock skew between the worker, SQS and Kinesis. */
export const CLOCK_SKEW_MARGIN_MS = 15_000;
const PAGE_LIMIT = 10_000;
const PARALLEL_SHARDS = 4;
/** GetRecords allows 5 calls per second per shard; an empty or throttled shard is read again after this pause. */
const RETRY_PAUSE_MS = 250;

export async function advancePastStreamedEvents(
  kinesis: KinesisClient,
  streamName: string,
  submissions: readonly SubmissionRecords[],
  progress: AckProgress,
  options: StreamResumeOptions,
): Promise<StreamResumeResult> {
  const pending = pendingRecords(submissions, progress);
  const result: StreamResumeResult = { found: 0, timesFound: new Map(), recordsRead: 0, complete: true };
  if (pending.size === 0) return result;
  const now = options.now ?? Date.now;
  const startedAtMs = now();
  const seen = new Set<string>();
  const scan: ShardScan = {
    since: new Date(options.sinceMs - CLOCK_SKEW_MARGIN_MS),
    until: startedAtMs + CLOCK_SKEW_MARGIN_MS,
    deadlineMs: startedAtMs + options.budgetMs,
    now,
    onRecord: (data) => {
      result.recordsRead += 1;
      const id = eventIdOf(data);
      if (id === undefined || !pending.has(id)) return;
      seen.add(id);
      const time = timeCreatedOf(data);
      if (time !== undefined) result.timesFound.set(id, time);
    },
  };
  try {
    const shards = await listShardIds(kinesis, streamName);
    // A few shards at a time: each has its own read limits, so the scan time does not grow with the shard count.
    for (let start = 0; start < shards.length; start += PARALLEL_SHARDS) {
      const reads = shards.slice(start, start + PARALLEL_SHARDS).map((id) => scanShard(kinesis, streamName, id, scan));
      if (!(await Promise.all(reads)).every(Boolean)) {
        result.complete = false;
        result.problem = 'scan budget spent';
        break;
      }
    }
  } catch (err) {
    result.complete = false;
    result.problem = awsErrorName(err);
  }
  result.found = advanceProgress(submissions, progress, seen);
  return result;
}

/** The event ids of the records not yet acknowledged. */
function pendingRecords(submissions: readonly SubmissionRecords[], progress: AckProgress): Set<string> {
  const pending = new Set<string>();
  for (const s of submissions) {
    for (const record of s.records.slice(progress[s.messageId] ?? 0)) {
      const id = eventIdOf(record);
      if (id !== undefined) pending.add(id);
    }
  }
  return pending;
}

const EVENT_ID_KEY = '"event_id":"';
const TIME_CREATED_KEY = '"time_created":"';
/** Date#toISOString, always this long (backend times are written with it: docs/contract.md#output). */
const ISO_TIME_LENGTH = 24;
const UUID_LENGTH = 36;

/** A record's time_created, read like its event id. */
export function timeCreatedOf(record: string): string | undefined {
  const at = record.indexOf(TIME_CREATED_KEY);
  return at < 0
    ? undefined
    : record.slice(at + TIME_CREATED_KEY.length, at + TIME_CREATED_KEY.length + ISO_TIME_LENGTH);
}

/**
 * The record with another time_created. Safe on our own records: the key appears once, as a key (a quote inside a
 * string value is escaped), and every ISO time has the same length, so the record's size does not change.
 */
export function withTimeCreated(record: string, time: string): string {
  const own = timeCreatedOf(record);
  return own === undefined ? record : record.replace(`${TIME_CREATED_KEY}${own}"`, `${TIME_CREATED_KEY}${time}"`);
}

/** A record's event_id, read without parsing the whole record (the scan may read many thousands). */
export function eventIdOf(record: string): string | undefined {
  const at = record.indexOf(EVENT_ID_KEY);
  return at < 0 ? undefined : record.slice(at + EVENT_ID_KEY.length, at + EVENT_ID_KEY.length + UUID_LENGTH);
}

/**
 * Moves each submission's progress over the events found, stopping at the first one not found: a submission's events
 * went out in order, one unacknowledged at a time (G2), so those found form an unbroken run after the progress.
 */
export function advanceProgress(
  submissions: readonly SubmissionRecords[],
  progress: AckProgress,
  seen: ReadonlySet<string>,
): number {
  let found = 0;
  for (const s of submissions) {
    let next = progress[s.messageId] ?? 0;
    while (next < s.records.length && seen.has(eventIdOf(s.records[next] ?? '') ?? '')) next += 1;
    found += next - (progress[s.messageId] ?? 0);
    if (next > 0) progress[s.messageId] = next;
  }
  return found;
}

async function listShardIds(kinesis: KinesisClient, streamName: string): Promise<string[]> {
  const ids: string[] = [];
  let nextToken: string | undefined;
  do {
    const input: ListShardsCommandInput = nextToken ? { NextToken: nextToken } : { StreamName: streamName };
    const page = await kinesis.send(new ListShardsCommand(input));
    ids.push(...(page.Shards ?? []).flatMap((s) => (s.ShardId ? [s.ShardId] : [])));
    nextToken = page.NextToken;
  } while (nextToken);
  return ids;
}

interface ShardScan {
  since: Date;
  /** Records that arrived after this (ms) were sent after the scan began: none of them can be ours. */
  until: number;
  deadlineMs: number;
  now: () => number;
  onRecord: (data: string) => void;
}

/** Reads one shard from `since` to its tip; false when the deadline came first. */
async function scanShard(
  kinesis: KinesisClient,
  streamName: string,
  shardId: string,
  scan: ShardScan,
): Promise<boolean> {
  const start = await kinesis.send(
    new GetShardIteratorCommand({
      StreamName: streamName,
      ShardId: shardId,
      ShardIteratorType: 'AT_TIMESTAMP',
      Timestamp: scan.since,
    }),
  );
  let iterator = start.ShardIterator;
  while (iterator) {
    if (scan.now() >= scan.deadlineMs) return false;
    const page = await getRecordsPaced(kinesis, iterator);
    if (!page) continue;
    const records = page.Records ?? [];
    for (const record of records) scan.onRecord(Buffer.from(record.Data ?? new Uint8Array()).toString('utf8'));
    // At the tip, or past the moment the scan began: on a busy stream the tip moves on as fast as it is read.
    if (records.length === 0 && (page.MillisBehindLatest ?? 0) === 0) return true;
    const lastArrival = records[records.length - 1]?.ApproximateArrivalTimestamp?.getTime();
    if (lastArrival !== undefined && lastArrival > scan.until) return true;
    iterator = page.NextShardIterator;
  }
  return true; // a closed shard (resharded): read to its end
}

async function getRecordsPaced(kinesis: KinesisClient, iterator: string): Promise<GetRecordsCommandOutput | undefined> {
  try {
    return await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: PAGE_LIMIT }));
  } catch (err) {
    // Reads share the shard's 5 calls/s with the stream's consumers: back off and try again within the budget.
    if (awsErrorName(err) !== 'ProvisionedThroughputExceededException') throw err;
    await sleep(RETRY_PAUSE_MS);
    return undefined;
  }
}
