import type { KinesisClient, Shard, ServiceOutputTypes } from '@aws-sdk/client-kinesis';
import { stubbedKinesis } from '../helpers/stub-sqs';
import { eventIdFor } from '../../src/domain/event-id';
import {
  advanceProgress,
  advancePastStreamedEvents,
  eventIdOf,
  timeCreatedOf,
  withTimeCreated,
} from '../../src/publish/stream-resume';

/** A record as the validate step renders it: the event id after the event's own fields (time_created may differ). */
const record = (id: string, time = '2026-12-06T00:00:00.000Z'): string =>
  JSON.stringify({ cmdl: 'x', user: 'u', type: 'new_process', event_id: id, device_id: 'd', time_created: time });
const id = (name: string): string => `00000000-0000-5000-8000-${name.padStart(12, '0')}`;

describe('advanceProgress (a publish skipping what is already on the stream)', () => {
  const submissions = [
    { messageId: 'a', partitionKey: 'p', records: ['a0', 'a1', 'a2', 'a3'].map((n) => record(id(n))) },
    { messageId: 'b', partitionKey: 'p', records: ['b0', 'b1'].map((n) => record(id(n))) },
    { messageId: 'c', partitionKey: 'p', records: ['c0'].map((n) => record(id(n))) },
  ];
  const seen = (...names: string[]): Set<string> => new Set(names.map(id));

  it('moves each submission past the unbroken run of found events after its progress', () => {
    const progress = { a: 1, b: 0 };
    const found = advanceProgress(submissions, progress, seen('a0', 'a1', 'a2', 'b0', 'b1'));
    expect(progress).toEqual({ a: 3, b: 2 });
    expect(found).toBe(4);
  });

  it('stops at the first event not found, even when later ones are there (order first: G2)', () => {
    const progress = { a: 0 };
    const found = advanceProgress(submissions, progress, seen('a1', 'a2', 'c0'));
    expect(progress).toEqual({ a: 0, c: 1 });
    expect(found).toBe(1);
  });

  it('changes nothing when nothing was found', () => {
    const progress = { a: 2 };
    expect(advanceProgress(submissions, progress, new Set())).toBe(0);
    expect(progress).toEqual({ a: 2 });
  });
});

describe('eventIdOf', () => {
  it('reads the event id of a record, whatever its time_created (a redelivered copy is found by id)', () => {
    expect(eventIdOf(record(id('1'), '2026-12-06T10:00:00.000Z'))).toBe(id('1'));
    expect(eventIdOf(record(id('1'), '2026-12-07T11:11:11.111Z'))).toBe(id('1'));
    expect(eventIdOf('{"type":"new_process"}')).toBeUndefined();
  });
});

describe('timeCreatedOf / withTimeCreated', () => {
  it('reads and replaces the processing time, nothing else, even when a value quotes the key', () => {
    const tricky = JSON.stringify({
      cmdl: 'echo "time_created":"2000-01-01T00:00:00.000Z"',
      user: 'u',
      type: 'new_process',
      event_id: id('1'),
      device_id: 'd',
      time_created: '2026-12-07T11:11:11.111Z',
    });
    expect(timeCreatedOf(tricky)).toBe('2026-12-07T11:11:11.111Z');
    const rewritten = withTimeCreated(tricky, '2026-12-06T10:00:00.000Z');
    expect(JSON.parse(rewritten)).toEqual({ ...JSON.parse(tricky), time_created: '2026-12-06T10:00:00.000Z' });
    expect(rewritten).toHaveLength(tricky.length);
  });
});

describe('advancePastStreamedEvents on a busy stream', () => {
  const START_MS = 1_800_000_000_000;
  const streamRecord = (messageId: string, index: number): string =>
    JSON.stringify({ type: 'new_process', event_id: eventIdFor(messageId, index), time_created: 'x'.repeat(24) });

  /**
   * One shard that never goes quiet: every page holds 100 records that arrived a second after the previous page's,
   * from 10 s before the scan began. Our two events are on page 3.
   */
  function busyShard(): { kinesis: KinesisClient; pagesRead: () => number } {
    let pages = 0;
    const kinesis = stubbedKinesis((command, input): ServiceOutputTypes => {
      if (command === 'ListShardsCommand') return { $metadata: {}, Shards: [{ ShardId: 'shard-0' } as Shard] };
      if (command === 'GetShardIteratorCommand') return { $metadata: {}, ShardIterator: 'page-0' };
      const iterator = (input as { ShardIterator?: string }).ShardIterator ?? 'page-0';
      const page = Number(iterator.slice('page-'.length));
      pages += 1;
      const Records = Array.from({ length: 100 }, (_, i) => ({
        Data: Buffer.from(page === 3 && i < 2 ? streamRecord('m-1', i) : streamRecord(`other-${page}`, i)),
        ApproximateArrivalTimestamp: new Date(START_MS - 10_000 + page * 1_000),
        PartitionKey: 'k',
        SequenceNumber: String(page * 100 + i),
      }));
      return { $metadata: {}, Records, NextShardIterator: `page-${page + 1}`, MillisBehindLatest: 0 };
    });
    return { kinesis, pagesRead: () => pages };
  }

  it('stops once it has read past the moment it began, instead of chasing the tip until its budget', async () => {
    const { kinesis, pagesRead } = busyShard();
    let clock = START_MS;
    const submission = {
      messageId: 'm-1',
      partitionKey: 'k',
      records: [streamRecord('m-1', 0), streamRecord('m-1', 1)],
    };
    const progress: Record<string, number> = {};

    // The worker's clock moves 0.5 s per look: a 60 s budget lasts ~120 pages.
    const result = await advancePastStreamedEvents(kinesis, 'events', [submission], progress, {
      sinceMs: START_MS - 10_000,
      budgetMs: 60_000,
      now: () => (clock += 500),
    });

    expect(result).toMatchObject({ found: 2, complete: true });
    expect(progress).toEqual({ 'm-1': 2 });
    // Page 26 is the first to arrive after the start plus the 15 s clock margin.
    expect(pagesRead()).toBeLessThanOrEqual(27);
  });
});
