import {
  createPutRecordsBatcher,
  type BatcherOptions,
  type PutRecordsBatcher,
  type SendPutRecords,
} from '../../src/publish/put-records-batcher';
import type { PutEntry, PutResultEntry } from '../../src/publish/plan';

/** A fake PutRecords: records every request and lets the test answer (or fail) each one when it chooses. */
class FakeKinesis {
  readonly requests: { entries: PutEntry[]; answer(results?: PutResultEntry[]): void; fail(err: Error): void }[] = [];
  private sequence = 0;

  readonly send: SendPutRecords = (entries) =>
    new Promise((resolve, reject) => {
      this.requests.push({ entries, answer: (results) => resolve(results ?? this.acknowledge(entries)), fail: reject });
    });

  acknowledge(entries: PutEntry[]): PutResultEntry[] {
    return entries.map(() => ({ SequenceNumber: String(++this.sequence), ShardId: 'shardId-0' }));
  }

  labels(request: number): string[] {
    return (this.requests[request]?.entries ?? []).map(label);
  }
}

const label = (e: PutEntry): string => `${e.messageId}:${e.index}`;
const entry = (messageId: string, index = 0, data = `${messageId}-${index}`): PutEntry => ({
  messageId,
  index,
  partitionKey: 'device',
  data,
});
/** Lets pending promise callbacks and the setImmediate callbacks they schedule (the batcher's pump) run. */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
}

function setup(options: Partial<BatcherOptions> = {}): { fake: FakeKinesis; batcher: PutRecordsBatcher } {
  const fake = new FakeKinesis();
  return { fake, batcher: createPutRecordsBatcher(fake.send, { maxWaitMs: 60_000, ...options }) };
}

describe('PutRecords batcher', () => {
  it('packs the requests of callers arriving together into one PutRecords and routes each entry result back', async () => {
    const { fake, batcher } = setup();
    const a = batcher.put([entry('a'), entry('b')]);
    const c = batcher.put([entry('c')]);
    await settle();
    expect(fake.requests).toHaveLength(1);
    expect(fake.labels(0)).toEqual(['a:0', 'b:0', 'c:0']);
    fake.requests[0]?.answer([
      { SequenceNumber: '1' },
      { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'slow down' },
      { SequenceNumber: '3' },
    ]);
    await expect(a).resolves.toEqual([
      { SequenceNumber: '1' },
      { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'slow down' },
    ]);
    await expect(c).resolves.toEqual([{ SequenceNumber: '3' }]);
  });

  it('holds a partly filled request while one is in flight, so the callers it releases join the next one', async () => {
    const { fake, batcher } = setup();
    const first = batcher.put([entry('a', 0)]);
    await settle();
    const waiting = batcher.put([entry('b', 0)]);
    await settle();
    expect(fake.requests).toHaveLength(1);
    // Caller a plans its next round as soon as its result is back: it lands in the same request as b.
    const next = first.then(() => batcher.put([entry('a', 1)]));
    fake.requests[0]?.answer();
    await first;
    await settle();
    expect(fake.requests).toHaveLength(2);
    expect(fake.labels(1)).toEqual(['b:0', 'a:1']);
    fake.requests[1]?.answer();
    await expect(waiting).resolves.toHaveLength(1);
    await expect(next).resolves.toHaveLength(1);
  });

  it('fails only the callers of a failed request; the others get their results', async () => {
    const { fake, batcher } = setup({ limits: { maxEntriesPerRequest: 2, maxBytesPerRequest: 1_000_000 } });
    const inFailed = batcher.put([entry('a'), entry('b')]).catch((err: unknown) => err);
    const inGood = batcher.put([entry('c')]);
    await settle();
    const outage = Object.assign(new Error('service unavailable'), { name: 'ServiceUnavailable' });
    fake.requests[0]?.fail(outage);
    await settle();
    expect(fake.requests.map((_, i) => fake.labels(i))).toEqual([['a:0', 'b:0'], ['c:0']]);
    fake.requests[1]?.answer();
    expect(await inFailed).toBe(outage);
    expect((await inGood)?.map((r) => r.SequenceNumber)).toEqual(['1']);
  });

  it('never puts two records of one submission in one request, even from two callers', async () => {
    const { fake, batcher } = setup({ maxInFlight: 1 });
    const first = batcher.put([entry('a', 3), entry('b', 0)]);
    const duplicate = batcher.put([entry('a', 3)]);
    const other = batcher.put([entry('c', 0)]);
    await settle();
    expect(fake.labels(0)).toEqual(['a:3', 'b:0']);
    fake.requests[0]?.answer();
    await first;
    await settle();
    expect(fake.labels(1)).toEqual(['a:3', 'c:0']);
    fake.requests[1]?.answer();
    await Promise.all([duplicate, other]);
    for (const request of fake.requests) {
      const ids = request.entries.map((e) => e.messageId);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  it('keeps every request within 500 entries and never splits a caller', async () => {
    const { fake, batcher } = setup({ maxInFlight: 8 });
    const callers = [200, 200, 200, 100].map((n, c) =>
      batcher.put(Array.from({ length: n }, (_, i) => entry(`c${c}-m${i}`))),
    );
    await settle();
    // The second request is partly filled: it waits for the first to come back (its callers may join it).
    expect(fake.requests.map((r) => r.entries.length)).toEqual([400]);
    fake.requests[0]?.answer();
    await settle();
    expect(fake.requests.map((r) => r.entries.length)).toEqual([400, 300]);
    fake.requests[1]?.answer();
    const results = await Promise.all(callers);
    expect(results.map((r) => r?.length)).toEqual([200, 200, 200, 100]);
  });

  it('keeps every request within 5 MiB of data and partition keys', async () => {
    const { fake, batcher } = setup({ maxInFlight: 8 });
    const mib = 'x'.repeat(1024 * 1024 - 'device'.length);
    const callers = Array.from({ length: 7 }, (_, c) => batcher.put([entry(`m${c}`, 0, mib)]));
    await settle();
    fake.requests[0]?.answer();
    await settle();
    expect(fake.requests.map((r) => r.entries.length)).toEqual([5, 2]);
    fake.requests[1]?.answer();
    await Promise.all(callers);
  });

  it('sends a partly filled request anyway after maxWaitMs, so one hung request does not hold every caller', async () => {
    const { fake, batcher } = setup({ maxWaitMs: 20 });
    void batcher.put([entry('hung')]);
    await settle();
    const started = Date.now();
    const other = batcher.put([entry('b')]);
    while (fake.requests.length < 2 && Date.now() - started < 2_000) await new Promise((r) => setTimeout(r, 2));
    expect(fake.labels(1)).toEqual(['b:0']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    fake.requests[1]?.answer();
    await expect(other).resolves.toHaveLength(1);
  });

  it('by default holds a partly filled request through a slow round trip (300 ms), so the callers merge', async () => {
    // A request in flight on a busy single-threaded emulator takes 100–400 ms; going beside it after 20 ms (the old
    // default) doubled the requests and the publish time at half capacity (docs/benchmark.md, "One request in flight").
    const fake = new FakeKinesis();
    const batcher = createPutRecordsBatcher(fake.send);
    void batcher.put([entry('first')]);
    await settle();
    const waiting = [batcher.put([entry('a')]), batcher.put([entry('b')])];
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fake.requests).toHaveLength(1);
    fake.requests[0]?.answer();
    await settle();
    expect(fake.requests.map((_, i) => fake.labels(i))).toEqual([['first:0'], ['a:0', 'b:0']]);
    fake.requests[1]?.answer();
    await Promise.all(waiting);
  });

  it('drops a cancelled caller from a request not sent yet and rejects it at once', async () => {
    const { fake, batcher } = setup();
    void batcher.put([entry('first')]);
    await settle();
    const controller = new AbortController();
    const cancelled = batcher.put([entry('gone')], controller.signal);
    const kept = batcher.put([entry('kept')]);
    controller.abort();
    await expect(cancelled).rejects.toMatchObject({ name: 'AbortError' });
    fake.requests[0]?.answer();
    await settle();
    expect(fake.labels(1)).toEqual(['kept:0']);
    fake.requests[1]?.answer();
    await expect(kept).resolves.toHaveLength(1);
  });

  it('routes a response without per-entry results as no result for every caller (their entries count as failed)', async () => {
    const { fake, batcher } = setup();
    const a = batcher.put([entry('a')]);
    const b = batcher.put([entry('b')]);
    await settle();
    fake.requests[0]?.answer([{ SequenceNumber: '1' }]);
    await expect(a).resolves.toEqual([{ SequenceNumber: '1' }]);
    await expect(b).resolves.toEqual([]);
    expect(batcher.stats()).toEqual({ requests: 1, entries: 2, callers: 2 });
  });
});
