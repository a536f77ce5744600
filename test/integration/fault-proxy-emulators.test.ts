import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { createKinesisClient, createSqsClient } from '../../src/aws/clients';
import { startFaultProxy, type FaultProxy } from '../../tools/chaos/proxy';
import {
  createTestQueue,
  createTestStream,
  deleteTestQueue,
  deleteTestStream,
  emulatorClients,
  queueDepth,
  readStream,
  sendBodies,
} from '../helpers/aws';
import { uniqueName } from '../helpers/temporal';

/**
 * The proxy in front of the real emulators (integration tier: needs the local stack): what it reports failed really
 * did not happen upstream. Every test has its own stream or queue, so they pass in any order or alone.
 */
jest.setTimeout(60_000);

const direct = emulatorClients();
const upstreams = {
  sqs: process.env.AWS_ENDPOINT_URL_SQS ?? 'http://127.0.0.1:9324',
  kinesis: process.env.AWS_ENDPOINT_URL_KINESIS ?? 'http://127.0.0.1:4568',
};

function viaProxy(sqsProxy: FaultProxy, kinesisProxy: FaultProxy) {
  const config = {
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    AWS_ENDPOINT_URL: undefined,
    AWS_ENDPOINT_URL_SQS: sqsProxy.url,
    AWS_ENDPOINT_URL_KINESIS: kinesisProxy.url,
  };
  return { sqs: createSqsClient(config), kinesis: createKinesisClient(config) };
}

describe('fault proxy in front of the real emulators', () => {
  let sqsProxy: FaultProxy;
  let kinesisProxy: FaultProxy;
  const cleanups: (() => Promise<void>)[] = [];

  async function freshStream(): Promise<string> {
    const name = uniqueName('chaos-proxy-events');
    await createTestStream(direct.kinesis, name, 1);
    cleanups.push(() => deleteTestStream(direct.kinesis, name));
    return name;
  }
  async function freshQueue(): Promise<string> {
    const url = await createTestQueue(direct.sqs, uniqueName('chaos-proxy-q'));
    cleanups.push(() => deleteTestQueue(direct.sqs, url));
    return url;
  }

  beforeEach(async () => {
    sqsProxy = await startFaultProxy({ upstream: upstreams.sqs });
    kinesisProxy = await startFaultProxy({ upstream: upstreams.kinesis });
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await sqsProxy.close();
    await kinesisProxy.close();
  });

  it('PutRecords: only the surviving entries land on the emulator, with the sequence numbers the answer reports', async () => {
    const streamName = await freshStream();
    const { kinesis } = viaProxy(sqsProxy, kinesisProxy);
    kinesisProxy.set([
      {
        operations: ['PutRecords'],
        fault: { kind: 'putRecordsEntries', entries: { mode: 'indexes', indexes: [1, 3] } },
        limit: { count: 2 },
      },
    ]);
    const out = await kinesis.send(
      new PutRecordsCommand({
        StreamName: streamName,
        Records: ['a', 'b', 'c', 'd', 'e'].map((d) => ({ Data: Buffer.from(d), PartitionKey: 'pk' })),
      }),
    );
    expect(out.FailedRecordCount).toBe(2);
    expect(out.Records?.map((r) => (r.ErrorCode ? 'failed' : 'ok'))).toEqual(['ok', 'failed', 'ok', 'failed', 'ok']);
    const onStream = await readStream(direct.kinesis, streamName);
    expect(onStream.map((r) => r.data)).toEqual(['a', 'c', 'e']);
    expect(onStream.map((r) => r.sequenceNumber)).toEqual(
      out.Records?.filter((r) => r.SequenceNumber).map((r) => r.SequenceNumber),
    );
    kinesis.destroy();
  });

  it('DeleteMessageBatch: an entry reported failed is really still in the queue', async () => {
    const queueUrl = await freshQueue();
    const { sqs } = viaProxy(sqsProxy, kinesisProxy);
    await sendBodies(direct.sqs, queueUrl, ['m1', 'm2', 'm3']);
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 1,
        WaitTimeSeconds: 1,
      }),
    );
    const messages = received.Messages ?? [];
    expect(messages).toHaveLength(3);
    sqsProxy.set([
      {
        operations: ['DeleteMessageBatch'],
        fault: { kind: 'sqsBatchEntries', entries: { mode: 'indexes', indexes: [0] } },
        limit: { count: 1 },
      },
    ]);
    const deleted = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
      }),
    );
    expect(deleted.Failed?.map((f) => [f.Id, f.SenderFault, f.Code])).toEqual([['0', false, 'InternalError']]);
    expect(deleted.Successful?.map((s) => s.Id).sort()).toEqual(['1', '2']);
    const depth = await queueDepth(direct.sqs, queueUrl);
    expect(depth.visible + depth.inFlight).toBe(1);
    // Long poll: returns once the 1 s visibility of the undeleted message has lapsed, however slow the machine.
    const again = await direct.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 20 }),
    );
    expect(again.Messages?.map((m) => m.Body)).toEqual([messages[0]?.Body]);
    sqs.destroy();
  });

  it('Kinesis down (refused) for a window: requests fail, then pass again', async () => {
    const streamName = await freshStream();
    const { kinesis } = viaProxy(sqsProxy, kinesisProxy);
    // A window no request can outlast; it is ended explicitly (coming back by itself is a unit test of the proxy).
    await kinesisProxy.down({ durationMs: 60_000 });
    const put = () =>
      kinesis.send(
        new PutRecordsCommand({ StreamName: streamName, Records: [{ Data: Buffer.from('x'), PartitionKey: 'pk' }] }),
      );
    await expect(put()).rejects.toThrow(/ECONNREFUSED/);
    await kinesisProxy.up();
    await expect(put()).resolves.toMatchObject({ FailedRecordCount: 0 });
    expect((await readStream(direct.kinesis, streamName)).map((r) => r.data)).toEqual(['x']);
    kinesis.destroy();
  });
});
