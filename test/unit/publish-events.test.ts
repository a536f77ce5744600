import { MockActivityEnvironment } from '@temporalio/testing';
import type { ActivityDeps } from '../../activities/deps';
import type { HeldBatch, HeldMessage, MessageHold } from '../../activities/message-hold';
import type { PipelineMetrics } from '../../activities/metrics';
import { createPublishEvents, PUBLISH_METRICS_INTERVAL_MS } from '../../activities/publish-events';
import type { PutRecordsBatcher } from '../../src/publish/put-records-batcher';
import type { PublishResult } from '../../src/contracts/batch-steps';
import type { PutEntry, PutResultEntry } from '../../src/publish/plan';

/** Every call the publish makes to the pipeline's metrics, in order. */
const mockMetricCalls: { name: string; count: number; code?: string }[] = [];
jest.mock('../../activities/metrics', () => ({
  pipelineMetrics: (): Partial<PipelineMetrics> => ({
    published: (count) => mockMetricCalls.push({ name: 'published', count }),
    putRecordsRequests: (count) => mockMetricCalls.push({ name: 'putRecordsRequests', count }),
    publishRetriedEntries: (count, code) => mockMetricCalls.push({ name: 'publishRetriedEntries', count, code }),
    endToEndLagMs: (ms) => mockMetricCalls.push({ name: 'endToEndLagMs', count: ms }),
    resumedFromStream: () => undefined,
  }),
}));

/** A held batch whose submissions (message id → event count) are all valid. */
function heldBatch(sizes: Record<string, number>): HeldBatch {
  const messages = new Map<string, HeldMessage>();
  for (const [messageId, count] of Object.entries(sizes)) {
    const records = Array.from({ length: count }, (_, k) => JSON.stringify({ event_id: `${messageId}-${k}` }));
    messages.set(messageId, {
      messageId,
      receiptHandle: `rh-${messageId}`,
      receivedAtMs: Date.now(),
      identityId: messageId,
      body: '',
      bodyBytes: 0,
      sentAtMs: Date.now() - 50,
      receiveCount: 1,
      firstReceivedAtMs: null,
      validation: {
        valid: true,
        submission: { messageId, partitionKey: 'device', records, sentAtMs: Date.now() - 50 },
      },
    });
  }
  return { id: 'batch-1', messages, progress: {}, stepProgress: new Map() };
}

/** The publish activity over one held batch and a batcher that answers each request with `answer`. */
function publisher(
  batch: HeldBatch,
  answer: (entries: readonly PutEntry[]) => PutResultEntry[],
): { run(): Promise<PublishResult>; requests: PutEntry[][] } {
  const requests: PutEntry[][] = [];
  const batcher: PutRecordsBatcher = {
    put: (entries) => {
      requests.push([...entries]);
      return Promise.resolve(answer(entries));
    },
    stats: () => ({ requests: 0, entries: 0, callers: 0 }),
  };
  const hold = {
    use: <T>(id: string, fn: (b: HeldBatch) => Promise<T>): Promise<T> => {
      if (id !== batch.id) throw new Error(`not held: ${id}`);
      return fn(batch);
    },
  } as unknown as MessageHold;
  const deps = {
    hold,
    putRecordsBatcher: batcher,
    streamName: 'events',
    retry: { maxRoundsWithoutProgress: 3, initialBackoffMs: 1, maxBackoffMs: 1 },
  } as unknown as ActivityDeps;
  const publishEvents = createPublishEvents(deps);
  return {
    requests,
    run: () =>
      new MockActivityEnvironment().run<[{ batchId: string }], PublishResult, typeof publishEvents>(publishEvents, {
        batchId: batch.id,
      }),
  };
}

let sequence = 0;
const acknowledgeAll = (entries: readonly PutEntry[]): PutResultEntry[] =>
  entries.map(() => ({ SequenceNumber: String(++sequence), ShardId: 'shardId-000000000000' }));

const calls = (name: string): number[] => mockMetricCalls.filter((c) => c.name === name).map((c) => c.count);

describe('publishEvents', () => {
  beforeEach(() => {
    mockMetricCalls.length = 0;
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('sends one record per submission per round, in order, until every submission is done', async () => {
    const batch = heldBatch({ big: 5, small: 2 });
    const p = publisher(batch, acknowledgeAll);
    const result = await p.run();
    expect(p.requests.map((r) => r.map((e) => `${e.messageId}:${e.index}`))).toEqual([
      ['big:0', 'small:0'],
      ['big:1', 'small:1'],
      ['big:2'],
      ['big:3'],
      ['big:4'],
    ]);
    expect(result).toMatchObject({ eventsPublished: 7, putRecordsRequests: 5, retriedEntries: 0 });
    expect(batch.progress).toEqual({ big: 5, small: 2 });
    // One lag per submission, when its last event is acknowledged.
    expect(calls('endToEndLagMs')).toHaveLength(2);
  });

  it('reports its counters once per interval while rounds go on, and the rest when it ends, not once per round', async () => {
    // Only Date is faked: the clock moves 400 ms per request, so the counters are due after rounds 3, 6 and 9.
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'setTimeout', 'setInterval', 'clearTimeout', 'clearInterval'] });
    jest.setSystemTime(1_000_000);
    const stepMs = (PUBLISH_METRICS_INTERVAL_MS * 2) / 5;
    const batch = heldBatch({ big: 10 });
    const p = publisher(batch, (entries) => {
      jest.setSystemTime(Date.now() + stepMs);
      return acknowledgeAll(entries);
    });
    const result = await p.run();
    expect(result.eventsPublished).toBe(10);
    expect(calls('published')).toEqual([3, 3, 3, 1]);
    expect(calls('putRecordsRequests')).toEqual([3, 3, 3, 1]);
  });

  it('reports the counts of a publish that gives up (no progress), retried entries by error code', async () => {
    const batch = heldBatch({ a: 3, b: 3 });
    let round = 0;
    const p = publisher(batch, (entries) => {
      round += 1;
      // Round 1 acknowledges both; later rounds fail every entry.
      if (round === 1) return acknowledgeAll(entries);
      return entries.map((e) =>
        e.messageId === 'a'
          ? { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'slow down' }
          : { ErrorCode: 'InternalFailure', ErrorMessage: 'oops' },
      );
    });
    await expect(p.run()).rejects.toThrow(/no progress in 3 rounds/);
    expect(batch.progress).toEqual({ a: 1, b: 1 });
    expect(calls('published').reduce((x, y) => x + y, 0)).toBe(2);
    expect(calls('putRecordsRequests').reduce((x, y) => x + y, 0)).toBe(4);
    const retried = mockMetricCalls.filter((c) => c.name === 'publishRetriedEntries');
    expect(retried.map((c) => [c.code, c.count])).toEqual([
      ['ProvisionedThroughputExceededException', 3],
      ['InternalFailure', 3],
    ]);
  });
});
