import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  type GetRecordsCommandOutput,
  type GetShardIteratorCommandOutput,
  type ListShardsCommandOutput,
} from '@aws-sdk/client-kinesis';
import { scriptedKinesis, type ScriptedRecord } from '../../helpers/scripted-kinesis';
import { judge } from '../../../tools/verify/judge';
import { IncompleteStreamReadError, StreamReader, readAllRecords } from '../../../tools/verify/stream-reader';
import { waitForSettled } from '../../../tools/verify/wait';

// A scripted Kinesis: two ListShards pages (a closed parent, its child, and one more), iterators as `shard@pos`.
function fakeKinesis(opts: { expireOnce?: boolean; laterRecords?: boolean } = {}): {
  client: KinesisClient;
  calls: string[];
  addRecord: (shard: string, seq: string) => void;
} {
  const data: Record<string, { seq: string; closed: boolean }[]> = {
    'shardId-0': [
      { seq: '100', closed: true },
      { seq: '200', closed: true },
    ],
    'shardId-1': [{ seq: '300', closed: false }],
    'shardId-2': [],
  };
  const closed = new Set(['shardId-0']);
  const calls: string[] = [];
  let expired = !opts.expireOnce;
  const client = new KinesisClient({ region: 'us-east-1' });
  // send() also has a callback overload returning void, which the lint rule checks this promise-returning fake against.
  // eslint-disable-next-line @typescript-eslint/no-misused-promises
  jest.spyOn(client, 'send').mockImplementation((command: unknown) => {
    if (command instanceof ListShardsCommand) {
      calls.push(`ListShards ${command.input.NextToken ?? command.input.StreamName}`);
      if (command.input.NextToken && command.input.StreamName) throw new Error('NextToken with StreamName');
      const page: Partial<ListShardsCommandOutput> = command.input.NextToken
        ? {
            Shards: [
              {
                ShardId: 'shardId-2',
                ParentShardId: undefined,
                HashKeyRange: undefined,
                SequenceNumberRange: undefined,
              },
            ],
          }
        : {
            Shards: [
              {
                ShardId: 'shardId-1',
                ParentShardId: 'shardId-0',
                HashKeyRange: undefined,
                SequenceNumberRange: undefined,
              },
              { ShardId: 'shardId-0', HashKeyRange: undefined, SequenceNumberRange: undefined },
            ],
            NextToken: 'page2',
          };
      return Promise.resolve(page);
    }
    if (command instanceof GetShardIteratorCommand) {
      const { ShardId, ShardIteratorType, StartingSequenceNumber } = command.input;
      calls.push(
        `GetShardIterator ${ShardId} ${ShardIteratorType}${StartingSequenceNumber ? ` ${StartingSequenceNumber}` : ''}`,
      );
      const list = data[ShardId ?? ''] ?? [];
      const pos = StartingSequenceNumber ? list.findIndex((r) => r.seq === StartingSequenceNumber) + 1 : 0;
      const out: Partial<GetShardIteratorCommandOutput> = { ShardIterator: `${ShardId}@${pos}` };
      return Promise.resolve(out);
    }
    if (command instanceof GetRecordsCommand) {
      const [shard = '', posText = '0'] = (command.input.ShardIterator ?? '').split('@');
      calls.push(`GetRecords ${shard}@${posText}`);
      if (!expired && shard === 'shardId-1') {
        expired = true;
        const err = new Error('expired');
        err.name = 'ExpiredIteratorException';
        return Promise.reject(err);
      }
      const list = data[shard] ?? [];
      const pos = Number(posText);
      const records = list.slice(pos, pos + 1);
      const next = pos + records.length;
      const atEnd = next >= list.length;
      const out: Partial<GetRecordsCommandOutput> = {
        Records: records.map((r) => ({
          SequenceNumber: r.seq,
          PartitionKey: 'pk',
          Data: Buffer.from(`{"seq":"${r.seq}"}`),
          ApproximateArrivalTimestamp: new Date(0),
        })),
        NextShardIterator: atEnd && closed.has(shard) ? undefined : `${shard}@${next}`,
        MillisBehindLatest: atEnd ? 0 : 1000,
      };
      return Promise.resolve(out);
    }
    return Promise.reject(new Error('unexpected command'));
  });
  return { client, calls, addRecord: (shard, seq) => data[shard]?.push({ seq, closed: false }) };
}

describe('stream reader', () => {
  it('reads every shard over ListShards pages, closed parents first and to their end', async () => {
    const { client, calls } = fakeKinesis();
    const records = await readAllRecords(client, 'events');
    expect(records.map((r) => `${r.shardId}:${r.sequenceNumber}`)).toEqual([
      'shardId-0:100',
      'shardId-0:200',
      'shardId-1:300',
    ]);
    expect(records[0]?.data).toBe('{"seq":"100"}');
    expect(calls).toContain('ListShards page2');
  });

  it('re-gets an expired iterator after the last sequence number', async () => {
    const { client, calls } = fakeKinesis({ expireOnce: true });
    const records = await readAllRecords(client, 'events');
    expect(records).toHaveLength(3);
    expect(calls.filter((c) => c.startsWith('GetShardIterator shardId-1'))).toHaveLength(2);
  });

  it('uses AT_TIMESTAMP with since, and picks up new records on the next poll', async () => {
    const { client, calls, addRecord } = fakeKinesis();
    const reader = new StreamReader(client, 'events', { since: new Date('2026-11-28T00:00:00Z') });
    expect(await reader.poll()).toHaveLength(3);
    expect(calls).toContain('GetShardIterator shardId-0 AT_TIMESTAMP');
    addRecord('shardId-2', '400');
    const fresh = await reader.poll();
    expect(fresh.map((r) => r.sequenceNumber)).toEqual(['400']);
    expect(reader.records).toHaveLength(4);
    // The closed parent is not read again.
    expect(calls.filter((c) => c.startsWith('GetRecords shardId-0'))).toHaveLength(2);
  });
});

describe('stream reader on a shard still behind its tip', () => {
  const record = (seq: string): ScriptedRecord => ({
    sequenceNumber: seq,
    partitionKey: 'pk',
    data: `{"seq":"${seq}"}`,
    arrivalTime: new Date(0),
  });
  const stream = (): Record<string, ScriptedRecord[]> => ({
    'shardId-0': [record('100')],
    'shardId-1': [record('200'), record('300')],
  });
  const noSleep = { sleep: () => Promise.resolve() };

  it('marks the read incomplete when Kinesis keeps answering empty while reporting the shard behind', async () => {
    const { client } = scriptedKinesis(stream(), { lagging: { 'shardId-1': Infinity } });
    const reader = new StreamReader(client, 'events', noSleep);
    await reader.poll();
    // Before: it returned as if done, and a verdict on the one record it had could pass.
    expect(reader.records.map((r) => r.sequenceNumber)).toEqual(['100']);
    expect(reader.incompleteShards()).toEqual(['shardId-1']);
  });

  it('clears the mark once a later poll reads the shard to its tip', async () => {
    const { client } = scriptedKinesis(stream(), { lagging: { 'shardId-1': 25 } });
    const reader = new StreamReader(client, 'events', noSleep);
    await reader.poll();
    expect(reader.incompleteShards()).toEqual(['shardId-1']);
    await reader.poll();
    expect(reader.incompleteShards()).toEqual([]);
    expect(reader.records.map((r) => r.sequenceNumber)).toEqual(['100', '200', '300']);
  });

  it('readAllRecords refuses to return an incomplete read', async () => {
    const { client } = scriptedKinesis(stream(), { lagging: { 'shardId-1': Infinity } });
    const read = readAllRecords(client, 'events', noSleep);
    await expect(read).rejects.toThrow(IncompleteStreamReadError);
    await expect(read).rejects.toMatchObject({ shards: ['shardId-1'] });
    const { client: caughtUp } = scriptedKinesis(stream());
    await expect(readAllRecords(caughtUp, 'events', noSleep)).resolves.toHaveLength(3);
  });

  it('the verifier waits for the shard instead of settling on a partial read, and fails on one it never read', async () => {
    const options = { wait: true, timeoutMs: 60_000, settleMs: 0, pollIntervalMs: 0, ...noSleep };
    const late = scriptedKinesis(stream(), { lagging: { 'shardId-1': 30 } });
    const settled = await waitForSettled(late.client, 'events', options);
    expect(settled).toMatchObject({ timedOut: false, incompleteShards: [] });
    expect(settled.records).toHaveLength(3);

    const never = scriptedKinesis(stream(), { lagging: { 'shardId-1': Infinity } });
    const once = await waitForSettled(never.client, 'events', { ...options, wait: false });
    expect(once.incompleteShards).toEqual(['shardId-1']);
    const report = judge([], once.records, { incompleteShards: once.incompleteShards });
    expect(report.ok).toBe(false);
    expect(report.checks.stream_read_incomplete).toMatchObject({ count: 1, violation: true });
  });
});
