import { setTimeout as sleep } from 'node:timers/promises';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { isDrained, readQueueDepth, type QueueDepth } from './queue-depth';
import { StreamReader, type ReadOptions, type StreamRecord } from './stream-reader';

export interface WaitOptions extends ReadOptions {
  /** Omit to skip the queue condition (and the queue check). */
  sqs?: SQSClient;
  queueUrl?: string;
  /** Keep polling until drained and settled, at most this long; false: read once. */
  wait: boolean;
  timeoutMs: number;
  /** The stream counts as stopped growing after this long without new records. */
  settleMs: number;
  pollIntervalMs: number;
  onPoll?: (status: { records: number; queue: QueueDepth | undefined; elapsedMs: number }) => void;
}

export interface WaitOutcome {
  records: StreamRecord[];
  /** Shards the last poll could not read to their tip (StreamReader.incompleteShards): the judge fails on them. */
  incompleteShards: string[];
  queue: QueueDepth | undefined;
  timedOut: boolean;
  elapsedMs: number;
}

/** Polls the stream (and queue) until the queue is drained and the stream has stopped growing, or the timeout. */
export async function waitForSettled(kinesis: KinesisClient, streamName: string, o: WaitOptions): Promise<WaitOutcome> {
  const reader = new StreamReader(kinesis, streamName, o);
  const started = Date.now();
  let lastGrowth = started;
  const pause = o.sleep ?? sleep;
  for (;;) {
    const fresh = await reader.poll();
    const now = Date.now();
    if (fresh.length > 0) lastGrowth = now;
    const queue = o.sqs && o.queueUrl ? await readQueueDepth(o.sqs, o.queueUrl) : undefined;
    o.onPoll?.({ records: reader.records.length, queue, elapsedMs: now - started });
    const drained = queue === undefined || isDrained(queue);
    const incompleteShards = reader.incompleteShards();
    const outcome = { records: reader.records, incompleteShards, queue, elapsedMs: now - started };
    if (!o.wait) return { ...outcome, timedOut: false };
    // A shard still behind its tip has not stopped growing for the reader: keep polling, it resumes where it stopped.
    if (drained && incompleteShards.length === 0 && now - lastGrowth >= o.settleMs)
      return { ...outcome, timedOut: false };
    if (now - started >= o.timeoutMs) return { ...outcome, timedOut: true };
    await pause(o.pollIntervalMs);
  }
}
