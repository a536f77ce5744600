import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  type GetRecordsCommandOutput,
  type GetShardIteratorCommandOutput,
  type ListShardsCommandOutput,
} from '@aws-sdk/client-kinesis';

/** A record as a scripted shard holds it. */
export interface ScriptedRecord {
  sequenceNumber: string;
  partitionKey: string;
  data: string;
  arrivalTime: Date;
}

/**
 * A Kinesis client answering from a script, for the stream reader's users: open shards holding the given records,
 * all served by one GetRecords. A shard in `lagging` answers its first n reads (Infinity: every read) empty
 * while reporting itself behind the tip (MillisBehindLatest > 0), as Kinesis may on a sparse shard: a reader that stops
 * there has not read the shard.
 */
export function scriptedKinesis(
  shards: Record<string, ScriptedRecord[]>,
  opts: { lagging?: Record<string, number> } = {},
): { client: KinesisClient } {
  const client = new KinesisClient({ region: 'us-east-1' });
  const lagLeft = new Map(Object.entries(opts.lagging ?? {}));
  // send() also has a callback overload returning void, which the lint rule checks this promise-returning fake against.
  // eslint-disable-next-line @typescript-eslint/no-misused-promises
  jest.spyOn(client, 'send').mockImplementation((command: unknown) => {
    if (command instanceof ListShardsCommand) {
      const out: Partial<ListShardsCommandOutput> = {
        Shards: Object.keys(shards).map((ShardId) => ({
          ShardId,
          HashKeyRange: undefined,
          SequenceNumberRange: undefined,
        })),
      };
      return Promise.resolve(out);
    }
    if (command instanceof GetShardIteratorCommand) {
      const { ShardId = '', StartingSequenceNumber } = command.input;
      const list = shards[ShardId] ?? [];
      const pos = StartingSequenceNumber ? list.findIndex((r) => r.sequenceNumber === StartingSequenceNumber) + 1 : 0;
      const out: Partial<GetShardIteratorCommandOutput> = { ShardIterator: `${ShardId}@${pos}` };
      return Promise.resolve(out);
    }
    if (command instanceof GetRecordsCommand) {
      const [shard = '', posText = '0'] = (command.input.ShardIterator ?? '').split('@');
      const pos = Number(posText);
      const lag = lagLeft.get(shard) ?? 0;
      if (lag > 0) {
        lagLeft.set(shard, lag - 1);
        const out: Partial<GetRecordsCommandOutput> = {
          Records: [],
          NextShardIterator: `${shard}@${pos}`,
          MillisBehindLatest: 5_000,
        };
        return Promise.resolve(out);
      }
      const list = shards[shard] ?? [];
      const page = list.slice(pos);
      const next = pos + page.length;
      const out: Partial<GetRecordsCommandOutput> = {
        Records: page.map((r) => ({
          SequenceNumber: r.sequenceNumber,
          PartitionKey: r.partitionKey,
          Data: Buffer.from(r.data),
          ApproximateArrivalTimestamp: r.arrivalTime,
        })),
        NextShardIterator: `${shard}@${next}`,
        MillisBehindLatest: next >= list.length ? 0 : 1_000,
      };
      return Promise.resolve(out);
    }
    return Promise.reject(new Error('unexpected command'));
  });
  return { client };
}
