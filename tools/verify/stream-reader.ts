import { setTimeout as sleep } from 'node:timers/promises';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type KinesisClient,
  type Shard,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis';

// Reads every shard of a stream, closed parents included (resharding), until each open shard is caught up.

export interface StreamRecord {
  shardId: string;
  sequenceNumber: string;
  partitionKey: string;
  /** The record's data as UTF-8 text. */
  data: string;
  arrivalTime?: Date;
}

export interface ReadOptions {
  /** Start at this instant (AT_TIMESTAMP) instead of the oldest record (TRIM_HORIZON). */
  since?: Date;
  /** GetRecords Limit (max 10,000). */
  limit?: number;
  /**
   * Empty GetRecords answers tolerated on one shard while MillisBehindLatest stays > 0, per poll. When they run out the
   * shard is left unread to its tip and the read is incomplete (see StreamReader.incompleteShards).
   */
  maxEmptyReadsBehind?: number;
  sleep?: (ms: number) => Promise<void>;
}

interface ShardState {
  shardId: string;
  parentShardId?: string;
  iterator?: string;
  lastSequenceNumber?: string;
  /** Closed (its ending sequence number set) and read to its end: nothing more can ever arrive. */
  exhausted: boolean;
  /** The last poll gave up on it while Kinesis still reported it behind the tip: records may be missing. */
  behind: boolean;
}

/** readAllRecords gave up on a shard still behind its tip: a verdict on these records could miss some. */
export class IncompleteStreamReadError extends Error {
  override readonly name = 'IncompleteStreamReadError';
  constructor(
    readonly shards: readonly string[],
    /** What was read, for a diagnosis; never for a verdict. */
    readonly records: readonly StreamRecord[],
  ) {
    super(
      `stream read incomplete: shard(s) ${shards.join(', ')} still behind the tip after the tolerated empty reads ` +
        `(${records.length} records read); a verdict on them could pass with events missing`,
    );
  }
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : '';
}

export class StreamReader {
  private readonly shards = new Map<string, ShardState>();
  readonly records: StreamRecord[] = [];
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly kinesis: KinesisClient,
    private readonly streamName: string,
    private readonly options: ReadOptions = {},
  ) {
    this.sleep = options.sleep ?? sleep;
  }

  /** Reads whatever arrived since the last poll on every shard; returns only the new records. */
  async poll(): Promise<StreamRecord[]> {
    for (const shard of await this.listShards()) {
      if (!this.shards.has(shard.ShardId ?? '')) {
        this.shards.set(shard.ShardId ?? '', {
          shardId: shard.ShardId ?? '',
          ...(shard.ParentShardId ? { parentShardId: shard.ParentShardId } : {}),
          exhausted: false,
          behind: false,
        });
      }
    }
    const fresh: StreamRecord[] = [];
    // Parents first, so a reader of the combined list sees a key's older records before its newer ones.
    for (const state of this.orderedShards()) {
      if (!state.exhausted) fresh.push(...(await this.readShard(state)));
    }
    this.records.push(...fresh);
    return fresh;
  }

  shardIds(): string[] {
    return [...this.shards.keys()];
  }

  /**
   * Shards the last poll left while Kinesis still reported them behind the tip (MillisBehindLatest > 0 after
   * maxEmptyReadsBehind empty answers): until a later poll reads them to the tip, what `records` holds may be missing
   * records, and no verdict built on it may pass.
   */
  incompleteShards(): string[] {
    return [...this.shards.values()].filter((s) => s.behind).map((s) => s.shardId);
  }

  private orderedShards(): ShardState[] {
    const depth = (s: ShardState, seen = 0): number => {
      const parent = s.parentShardId ? this.shards.get(s.parentShardId) : undefined;
      return parent && seen < 64 ? 1 + depth(parent, seen + 1) : 0;
    };
    return [...this.shards.values()].sort((a, b) => depth(a) - depth(b) || a.shardId.localeCompare(b.shardId));
  }

  private async listShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let nextToken: string | undefined;
    do {
      // With NextToken the stream name must be omitted (the token carries it).
      const page = await this.withThrottleRetry(() =>
        this.kinesis.send(
          new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: this.streamName }),
        ),
      );
      shards.push(...(page.Shards ?? []));
      nextToken = page.NextToken;
    } while (nextToken);
    return shards;
  }

  private async iteratorFor(state: ShardState): Promise<string | undefined> {
    let type: ShardIteratorType = 'TRIM_HORIZON';
    if (state.lastSequenceNumber) type = 'AFTER_SEQUENCE_NUMBER';
    else if (this.options.since) type = 'AT_TIMESTAMP';
    const out = await this.withThrottleRetry(() =>
      this.kinesis.send(
        new GetShardIteratorCommand({
          StreamName: this.streamName,
          ShardId: state.shardId,
          ShardIteratorType: type,
          ...(type === 'AFTER_SEQUENCE_NUMBER' ? { StartingSequenceNumber: state.lastSequenceNumber } : {}),
          ...(type === 'AT_TIMESTAMP' ? { Timestamp: this.options.since } : {}),
        }),
      ),
    );
    return out.ShardIterator;
  }

  private async readShard(state: ShardState): Promise<StreamRecord[]> {
    const out: StreamRecord[] = [];
    let emptyBehind = 0;
    state.behind = false;
    for (;;) {
      state.iterator ??= await this.iteratorFor(state);
      if (!state.iterator) {
        state.exhausted = true;
        return out;
      }
      let page;
      try {
        page = await this.withThrottleRetry(() =>
          this.kinesis.send(
            new GetRecordsCommand({ ShardIterator: state.iterator, Limit: this.options.limit ?? 10_000 }),
          ),
        );
      } catch (err) {
        if (errorName(err) === 'ExpiredIteratorException') {
          state.iterator = undefined;
          continue;
        }
        throw err;
      }
      const records = page.Records ?? [];
      for (const r of records) {
        out.push({
          shardId: state.shardId,
          sequenceNumber: r.SequenceNumber ?? '',
          partitionKey: r.PartitionKey ?? '',
          data: Buffer.from(r.Data ?? new Uint8Array()).toString('utf8'),
          ...(r.ApproximateArrivalTimestamp ? { arrivalTime: r.ApproximateArrivalTimestamp } : {}),
        });
        state.lastSequenceNumber = r.SequenceNumber ?? state.lastSequenceNumber;
      }
      if (!page.NextShardIterator) {
        // A closed shard read to its end: a resharded parent.
        state.iterator = undefined;
        state.exhausted = true;
        return out;
      }
      state.iterator = page.NextShardIterator;
      if (records.length > 0) {
        emptyBehind = 0;
        continue;
      }
      // Caught up: an empty answer at the tip. Kinesis may also answer empty while behind (sparse shards).
      if ((page.MillisBehindLatest ?? 0) === 0) return out;
      if (++emptyBehind > (this.options.maxEmptyReadsBehind ?? 20)) {
        state.behind = true;
        return out;
      }
      await this.sleep(50);
    }
  }

  private async withThrottleRetry<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        const name = errorName(err);
        const throttled = name === 'ProvisionedThroughputExceededException' || name === 'LimitExceededException';
        if (!throttled || attempt >= 8) throw err;
        await this.sleep(Math.min(2000, 100 * 2 ** attempt));
      }
    }
  }
}

/**
 * Every record currently on the stream (or since `opts.since`), all shards, each read until caught up. Throws
 * IncompleteStreamReadError when a shard could not be read to its tip: its callers judge the records, and a verdict on
 * a partial read must fail, not pass.
 */
export async function readAllRecords(
  kinesis: KinesisClient,
  streamName: string,
  opts: ReadOptions = {},
): Promise<StreamRecord[]> {
  const reader = new StreamReader(kinesis, streamName, opts);
  await reader.poll();
  const incomplete = reader.incompleteShards();
  if (incomplete.length > 0) throw new IncompleteStreamReadError(incomplete, reader.records);
  return reader.records;
}
