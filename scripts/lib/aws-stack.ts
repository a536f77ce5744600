// Local-stack helper for the SQS (fauxqs) and Kinesis (kinesis-local) emulators, run by scripts/stack-up.sh:
//   tsx scripts/lib/aws-stack.ts sqs [--timeout SECONDS]      wait for a real SQS API answer, ensure queue + DLQ
//   tsx scripts/lib/aws-stack.ts kinesis [--timeout SECONDS]  wait for a real Kinesis API answer, ensure stream ACTIVE
//   tsx scripts/lib/aws-stack.ts smoke                        SQS send/receive/delete + DLQ redrive, Kinesis
//                                                             PutRecords/GetRecords round trips on scratch resources
// Configuration comes from the environment (stack-up.sh loads .env.example/.env first). Every wait is a bounded poll.
import {
  DeleteMessageBatchCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  ListStreamsCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { setTimeout as sleep } from 'node:timers/promises';
import { deleteQueue, deleteStream, ensureQueue, ensureStream, pollUntil } from '../../tools/stack/aws-resources';

const env = (name: string, fallback: string): string => process.env[name] ?? fallback;
const region = env('AWS_REGION', 'us-east-1');
const credentials = {
  accessKeyId: env('AWS_ACCESS_KEY_ID', 'test'),
  secretAccessKey: env('AWS_SECRET_ACCESS_KEY', 'test'),
};
// Short timeouts so a hung emulator fails a poll attempt instead of the whole script.
const requestHandler = () => new NodeHttpHandler({ connectionTimeout: 1_000, requestTimeout: 10_000 });

function sqsClient(): SQSClient {
  return new SQSClient({
    region,
    credentials,
    endpoint: env('AWS_ENDPOINT_URL_SQS', `http://127.0.0.1:${env('SQS_PORT', '9324')}`),
    requestHandler: requestHandler(),
    maxAttempts: 1,
  });
}

function kinesisClient(): KinesisClient {
  return new KinesisClient({
    region,
    credentials,
    endpoint: env('AWS_ENDPOINT_URL_KINESIS', `http://127.0.0.1:${env('KINESIS_PORT', '4568')}`),
    // kinesis-local speaks HTTP/1.1 reliably only: the SDK's default HTTP/2 handler gets "Protocol error"s.
    requestHandler: requestHandler(),
    maxAttempts: 1,
  });
}

const errorText = (err: unknown): string =>
  err instanceof Error ? `${err.name}: ${err.message}` : typeof err === 'string' ? err : JSON.stringify(err);
const say = (msg: string) => console.log(`[stack] ${msg}`);

// ---------------------------------------------------------------------------------------------------------------- SQS
async function sqsUp(timeoutMs: number): Promise<void> {
  const sqs = sqsClient();
  const t0 = Date.now();
  await pollUntil('SQS (fauxqs)', timeoutMs, async () => (await sqs.send(new ListQueuesCommand({}))).$metadata);
  say(`SQS answered ListQueues after ${Date.now() - t0} ms`);
  const dlq = await ensureQueue(sqs, env('SQS_DLQ_NAME', 'submissions-dlq'), {}, say);
  const redrive = JSON.stringify({
    deadLetterTargetArn: dlq.arn,
    maxReceiveCount: Number.parseInt(env('SQS_MAX_RECEIVE_COUNT', '5'), 10),
  });
  const main = await ensureQueue(sqs, env('SQS_QUEUE_NAME', 'submissions'), { RedrivePolicy: redrive }, say);
  say(`queue ${dlq.created ? 'created' : 'exists'}: ${dlq.url}`);
  say(`queue ${main.created ? 'created' : 'exists'}: ${main.url} (RedrivePolicy ${redrive})`);
  const configured = process.env.SQS_QUEUE_URL;
  if (configured && configured !== main.url) {
    console.warn(
      `[stack] WARNING: SQS_QUEUE_URL=${configured} but the emulator's URL is ${main.url}; ` +
        'fauxqs only accepts the exact URL it handed out',
    );
  }
}

// ------------------------------------------------------------------------------------------------------------ Kinesis
async function kinesisUp(timeoutMs: number): Promise<void> {
  const kinesis = kinesisClient();
  const t0 = Date.now();
  await pollUntil('Kinesis (kinesis-local)', timeoutMs, async () => {
    return (await kinesis.send(new ListStreamsCommand({}))).$metadata;
  });
  say(`Kinesis answered ListStreams after ${Date.now() - t0} ms`);
  const shards = Number.parseInt(env('KINESIS_SHARD_COUNT', '2'), 10);
  await ensureStream(kinesis, env('KINESIS_STREAM_NAME', 'events'), shards, { timeoutMs, log: say });
}

// -------------------------------------------------------------------------------------------------------------- smoke
function check(cond: boolean, msg: string): void {
  if (!cond) throw new Error(`smoke check failed: ${msg}`);
  say(`ok: ${msg}`);
}

async function smokeSqs(): Promise<void> {
  const sqs = sqsClient();
  const suffix = `${process.pid}-${Date.now()}`;
  const dlq = await ensureQueue(sqs, `stack-smoke-dlq-${suffix}`, {});
  const q = await ensureQueue(sqs, `stack-smoke-${suffix}`, {
    VisibilityTimeout: '1',
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 1 }),
  });
  try {
    say(`scratch queue url: ${q.url}`);
    const t0 = Date.now();
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: q.url,
        Entries: [
          { Id: 'a', MessageBody: 'eyJoZWxsbyI6ICJ3b3JsZCJ9' },
          { Id: 'b', MessageBody: '{"hello":"world"}' },
        ],
      }),
    );
    check((sent.Successful ?? []).length === 2, 'SendMessageBatch: 2 successful entries');
    const got = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: q.url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: 30,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
      }),
    );
    const msgs = got.Messages ?? [];
    check(msgs.length === 2, `ReceiveMessage: got ${msgs.length}/2 messages`);
    say(`message ids: ${msgs.map((m) => m.MessageId).join(', ')}; attrs ${JSON.stringify(msgs[0]?.Attributes)}`);
    const del = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: q.url,
        Entries: msgs.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle ?? '' })),
      }),
    );
    check((del.Successful ?? []).length === 2 && (del.Failed ?? []).length === 0, 'DeleteMessageBatch: 2 deleted');
    const bogus = await sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl: q.url, Entries: [{ Id: 'x', ReceiptHandle: 'not-a-handle' }] }),
    );
    say(`DeleteMessageBatch with a bogus handle -> ${JSON.stringify({ ok: bogus.Successful, failed: bogus.Failed })}`);
    say(`SQS round trip took ${Date.now() - t0} ms`);

    // Redrive: maxReceiveCount 1 => the second receive after the visibility timeout moves it to the DLQ.
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: q.url, Entries: [{ Id: 'r', MessageBody: 'redrive-me' }] }));
    const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl: q.url, WaitTimeSeconds: 1 }));
    check((first.Messages ?? []).length === 1, 'redrive: first receive gets the message');
    await sleep(1_200);
    const second = await sqs.send(new ReceiveMessageCommand({ QueueUrl: q.url, WaitTimeSeconds: 1 }));
    const inDlq = await pollUntil('message in DLQ', 5_000, async () => {
      const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq.url, WaitTimeSeconds: 1 }));
      return (r.Messages ?? []).length > 0 ? r.Messages : undefined;
    });
    check(
      (second.Messages ?? []).length === 0 && inDlq[0]?.Body === 'redrive-me',
      'redrive: after maxReceiveCount receives the message moved to the DLQ',
    );
  } finally {
    await deleteQueue(sqs, q.url);
    await deleteQueue(sqs, dlq.url);
  }
}

async function smokeKinesis(): Promise<void> {
  const kinesis = kinesisClient();
  const name = `stack-smoke-${process.pid}-${Date.now()}`;
  await ensureStream(kinesis, name, 2, { timeoutMs: 30_000, log: say });
  try {
    const t0 = Date.now();
    const records = Array.from({ length: 20 }, (_, i) => ({
      Data: Buffer.from(JSON.stringify({ i, type: 'new_process' })),
      PartitionKey: `device-${i % 4}`,
    }));
    const put = await kinesis.send(new PutRecordsCommand({ StreamName: name, Records: records }));
    const entries = put.Records ?? [];
    check(
      entries.length === 20 && entries.every((e) => e.SequenceNumber && e.ShardId && !e.ErrorCode),
      `PutRecords: 20 entries acknowledged (FailedRecordCount ${put.FailedRecordCount})`,
    );
    say(`sequence number example: ${entries[0]?.SequenceNumber} (${entries[0]?.SequenceNumber?.length} digits)`);
    const byShard = new Map<string, bigint[]>();
    for (const e of entries) {
      const list = byShard.get(e.ShardId ?? '') ?? [];
      list.push(BigInt(e.SequenceNumber ?? '0'));
      byShard.set(e.ShardId ?? '', list);
    }
    for (const [shard, seqs] of byShard) {
      check(
        seqs.every((s, i) => i === 0 || s > (seqs[i - 1] ?? 0n)),
        `${shard}: ${seqs.length} sequence numbers strictly increase in request order`,
      );
    }
    const shards = (await kinesis.send(new ListShardsCommand({ StreamName: name }))).Shards ?? [];
    let read = 0;
    for (const shard of shards) {
      const it = await kinesis.send(
        new GetShardIteratorCommand({ StreamName: name, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
      );
      const got = await kinesis.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator, Limit: 1000 }));
      const recs = got.Records ?? [];
      read += recs.length;
      const order = recs.map(
        (r) => (JSON.parse(Buffer.from(r.Data ?? new Uint8Array()).toString()) as { i: number }).i,
      );
      check(
        order.every((v, i) => i === 0 || v > (order[i - 1] ?? -1)),
        `${shard.ShardId}: GetRecords returns ${recs.length} records in put order`,
      );
    }
    check(read === 20, 'GetRecords: all 20 records read back');
    say(`Kinesis round trip took ${Date.now() - t0} ms`);
  } finally {
    await deleteStream(kinesis, name);
  }
}

// --------------------------------------------------------------------------------------------------------------- main
async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  const timeoutIdx = rest.indexOf('--timeout');
  const timeoutMs = timeoutIdx >= 0 ? Number.parseFloat(rest[timeoutIdx + 1] ?? '60') * 1_000 : 60_000;
  switch (command) {
    case 'sqs':
      return sqsUp(timeoutMs);
    case 'kinesis':
      return kinesisUp(timeoutMs);
    case 'smoke':
      await smokeSqs();
      await smokeKinesis();
      return;
    default:
      throw new Error(`usage: aws-stack.ts sqs|kinesis [--timeout SECONDS] | smoke (got ${command ?? 'nothing'})`);
  }
}

main().catch((err: unknown) => {
  console.error(`[stack] ERROR: ${errorText(err)}`);
  process.exit(1);
});
