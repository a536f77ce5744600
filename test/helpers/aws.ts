import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { GetQueueAttributesCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { chunkBySize } from '../../src/aws/chunk-by-size';
import { createKinesisClient, createSqsClient } from '../../src/aws/clients';
import { createQueue, deleteQueue, deleteStream, ensureStream } from '../../tools/stack/aws-resources';

// Queues and streams come from the one bootstrap module; these names are what the suites call them.
export { queueArn } from '../../tools/stack/aws-resources';
export const createTestQueue = createQueue;
export const deleteTestQueue = deleteQueue;
export const deleteTestStream = deleteStream;
export const createTestStream = (kinesis: KinesisClient, name: string, shards = 2): Promise<void> =>
  ensureStream(kinesis, name, shards);

export function emulatorClients(): { sqs: SQSClient; kinesis: KinesisClient } {
  const config = {
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    AWS_ENDPOINT_URL: process.env.AWS_ENDPOINT_URL,
    AWS_ENDPOINT_URL_SQS: process.env.AWS_ENDPOINT_URL_SQS,
    AWS_ENDPOINT_URL_KINESIS: process.env.AWS_ENDPOINT_URL_KINESIS,
  };
  return { sqs: createSqsClient(config), kinesis: createKinesisClient(config) };
}

/** SQS's limit on the sum of a batch's bodies (and on one body), less a margin for the request's own envelope. */
const SEND_BATCH_BODY_BYTES = 1024 * 1024 - 16 * 1024;

/** Batches of at most 10 bodies and SEND_BATCH_BODY_BYTES, in order (large bodies may not fill 10 to a batch). */
export function sendBatches(bodies: string[]): string[][] {
  return chunkBySize(bodies, (body) => Buffer.byteLength(body, 'utf8'), SEND_BATCH_BODY_BYTES, 10);
}

export async function sendBodies(sqs: SQSClient, queueUrl: string, bodies: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const chunk of sendBatches(bodies)) {
    const response = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((body, i) => ({ Id: String(i), MessageBody: body })),
      }),
    );
    if (response.Failed?.length) throw new Error(`send failed: ${JSON.stringify(response.Failed)}`);
    const byId = new Map((response.Successful ?? []).map((s) => [s.Id, s.MessageId]));
    chunk.forEach((_, i) => {
      const id = byId.get(String(i));
      if (!id) throw new Error(`no message id for entry ${i}`);
      ids.push(id);
    });
  }
  return ids;
}

export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<{ visible: number; inFlight: number }> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: requiredCount(Attributes, 'ApproximateNumberOfMessages'),
    inFlight: requiredCount(Attributes, 'ApproximateNumberOfMessagesNotVisible'),
  };
}

/** A missing or garbled attribute is an error: read as 0 (or NaN) it would pass for an empty queue. */
function requiredCount(attributes: Partial<Record<string, string>> | undefined, name: string): number {
  const raw = attributes?.[name];
  if (raw === undefined || !/^\d+$/.test(raw)) throw new Error(`GetQueueAttributes: ${name} missing or not a count`);
  return Number(raw);
}

export interface StreamRecord {
  shardId: string;
  sequenceNumber: string;
  partitionKey: string;
  data: string;
  arrivedAt?: Date;
}

/** Every record of every shard, from TRIM_HORIZON until the shard has nothing more. */
export async function readStream(kinesis: KinesisClient, streamName: string): Promise<StreamRecord[]> {
  const records: StreamRecord[] = [];
  const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  for (const shard of Shards ?? []) {
    if (!shard.ShardId) continue;
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    let iterator = ShardIterator;
    for (let page = 0; iterator && page < 1000; page++) {
      const response = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const r of response.Records ?? []) {
        records.push({
          shardId: shard.ShardId,
          sequenceNumber: r.SequenceNumber ?? '',
          partitionKey: r.PartitionKey ?? '',
          data: Buffer.from(r.Data ?? new Uint8Array()).toString('utf8'),
          arrivedAt: r.ApproximateArrivalTimestamp,
        });
      }
      if ((response.Records ?? []).length === 0 && (response.MillisBehindLatest ?? 0) === 0) break;
      iterator = response.NextShardIterator;
    }
  }
  return records;
}
