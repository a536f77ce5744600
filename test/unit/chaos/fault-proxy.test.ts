import { setTimeout as sleep } from 'node:timers/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { type KinesisClient, ListStreamsCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import {
  ReceiveMessageCommand,
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { createKinesisClient, createSqsClient } from '../../../src/aws/clients';
import { startFaultProxy, type FaultProxy } from '../../../tools/chaos/proxy';
import { deleteRetryProblems, PUT_RECORDS_NAMED_FAULTS, putRecordsFaultPlan } from '../../../tools/chaos/scenarios';

/** A tiny upstream that speaks just enough of both JSON protocols and records what reached it. */
interface FakeUpstream {
  url: string;
  received: { target: string; body: Record<string, unknown> }[];
  /** Message ids of the next ReceiveMessage answers, one array per answer. */
  receiveAnswers: string[][];
  close(): Promise<void>;
}

async function startFakeUpstream(): Promise<FakeUpstream> {
  const received: FakeUpstream['received'] = [];
  const receiveAnswers: string[][] = [];
  let sequence = 1000;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      received.push({ target, body });
      let answer: unknown = {};
      if (target.endsWith('.PutRecords')) {
        const records = body['Records'] as unknown[];
        answer = {
          FailedRecordCount: 0,
          Records: records.map(() => ({ SequenceNumber: String(sequence++), ShardId: 'shardId-000000000000' })),
        };
      } else if (target.endsWith('Batch')) {
        answer = { Successful: (body['Entries'] as { Id: string }[]).map((e) => ({ Id: e.Id })) };
      } else if (target.endsWith('.ListStreams')) {
        answer = { StreamNames: ['s'], HasMoreStreams: false };
      } else if (target.endsWith('.ReceiveMessage')) {
        const ids = receiveAnswers.shift() ?? [];
        answer = {
          Messages: ids.map((id) => ({ MessageId: id, ReceiptHandle: `rh-${id}`, Body: 'x', MD5OfBody: md5('x') })),
        };
      } else if (target.endsWith('.GetQueueAttributes')) {
        answer = { Attributes: { ApproximateNumberOfMessages: '0' } };
      }
      const text = JSON.stringify(answer);
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    receiveAnswers,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function waitFor(condition: () => boolean, maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

const QUEUE_URL = 'http://sqs.us-east-1.localhost:9324/000000000000/q';

function clients(proxy: FaultProxy, requestTimeoutMs = 10_000): { kinesis: KinesisClient; sqs: SQSClient } {
  const config = {
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: undefined,
    AWS_ENDPOINT_URL_SQS: proxy.url,
    AWS_ENDPOINT_URL_KINESIS: proxy.url,
  };
  return {
    kinesis: createKinesisClient(config, { requestTimeoutMs }),
    sqs: createSqsClient(config, { requestTimeoutMs }),
  };
}

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

const records = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ Data: Buffer.from(`r${i}`), PartitionKey: `k${i}` }));

function forwardedRecordData(upstream: FakeUpstream): string[] {
  return upstream.received
    .filter((r) => r.target.endsWith('.PutRecords'))
    .flatMap((r) => (r.body['Records'] as { Data: string }[]).map((x) => Buffer.from(x.Data, 'base64').toString()));
}

describe('fault proxy against a fake upstream', () => {
  let upstream: FakeUpstream;
  let proxy: FaultProxy;
  let kinesis: KinesisClient;
  let sqs: SQSClient;

  beforeEach(async () => {
    upstream = await startFakeUpstream();
    proxy = await startFaultProxy({ upstream: upstream.url });
    ({ kinesis, sqs } = clients(proxy));
  });
  afterEach(async () => {
    kinesis.destroy();
    sqs.destroy();
    await proxy.close();
    await upstream.close();
  });

  it('listens on an OS-assigned loopback port and passes requests through unchanged without rules', async () => {
    expect(proxy.port).toBeGreaterThan(0);
    expect(proxy.url).toBe(`http://127.0.0.1:${proxy.port}`);
    const out = await kinesis.send(new PutRecordsCommand({ StreamName: 's', Records: records(3) }));
    expect(out.Records?.map((r) => r.SequenceNumber)).toEqual(['1000', '1001', '1002']);
    expect(forwardedRecordData(upstream)).toEqual(['r0', 'r1', 'r2']);
    expect(proxy.stats().requests).toEqual({ PutRecords: 1 });
  });

  it('fails explicit PutRecords entries, forwards only the survivors, and answers in the original order', async () => {
    proxy.add({
      operations: ['PutRecords'],
      fault: {
        kind: 'putRecordsEntries',
        entries: { mode: 'indexes', indexes: [1, 3] },
        errorCodes: ['ProvisionedThroughputExceededException', 'InternalFailure'],
      },
    });
    const out = await kinesis.send(new PutRecordsCommand({ StreamName: 's', Records: records(5) }));
    expect(forwardedRecordData(upstream)).toEqual(['r0', 'r2', 'r4']);
    expect(out.FailedRecordCount).toBe(2);
    expect(out.Records?.map((r) => r.SequenceNumber ?? r.ErrorCode)).toEqual([
      '1000',
      'ProvisionedThroughputExceededException',
      '1001',
      'InternalFailure', // the codes take turns
      '1002',
    ]);
  });

  it('fails every n-th entry counted across requests, within the rule count', async () => {
    proxy.add({
      operations: ['PutRecords'],
      fault: { kind: 'putRecordsEntries', entries: { mode: 'every', n: 3 }, errorCodes: ['InternalFailure'] },
      limit: { count: 2 },
    });
    const first = await kinesis.send(new PutRecordsCommand({ StreamName: 's', Records: records(4) }));
    const second = await kinesis.send(new PutRecordsCommand({ StreamName: 's', Records: records(4) }));
    const third = await kinesis.send(new PutRecordsCommand({ StreamName: 's', Records: records(4) }));
    expect(first.Records?.map((r) => r.ErrorCode ?? 'ok')).toEqual(['ok', 'ok', 'InternalFailure', 'ok']);
    // Positions 5 and 8 overall: the second request's 2nd entry; the budget (2) is spent after it.
    expect(second.Records?.map((r) => r.ErrorCode ?? 'ok')).toEqual(['ok', 'InternalFailure', 'ok', 'ok']);
    expect(third.FailedRecordCount).toBe(0);
    expect(proxy.stats().rules).toEqual([{ name: 'putRecordsEntries', injected: 2, active: false }]);
  });

  it('fails a seeded random share of entries, the same ones for the same seed', async () => {
    const run = async (seed: number): Promise<string[]> => {
      await proxy.reset();
      proxy.add({ fault: { kind: 'putRecordsEntries', entries: { mode: 'rate', rate: 0.2, seed } } });
      const out = await kinesis.send(new PutRecordsCommand({ StreamName: 's', Records: records(200) }));
      return (out.Records ?? []).map((r) => (r.ErrorCode ? 'x' : '.'));
    };
    const a = await run(7);
    const b = await run(7);
    expect(a).toEqual(b);
    const failed = a.filter((c) => c === 'x').length;
    expect(failed).toBeGreaterThan(20);
    expect(failed).toBeLessThan(60);
  });

  it('answers HTTP 200 with every entry failed and FailedRecordCount 0 in lie mode, forwarding nothing', async () => {
    proxy.add({ fault: { kind: 'putRecordsLie' }, limit: { count: 1 } });
    const out = await kinesis.send(new PutRecordsCommand({ StreamName: 's', Records: records(3) }));
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.FailedRecordCount).toBe(0);
    expect(out.Records?.every((r) => r.ErrorCode === 'InternalFailure' && !r.SequenceNumber)).toBe(true);
    expect(forwardedRecordData(upstream)).toEqual([]);
    const next = await kinesis.send(new PutRecordsCommand({ StreamName: 's', Records: records(1) }));
    expect(next.Records?.[0]?.SequenceNumber).toBeDefined();
  });

  it('throttles with the service error: Kinesis ProvisionedThroughputExceededException, SQS RequestThrottled', async () => {
    proxy.add({ fault: { kind: 'throttle' }, limit: { count: 2 } });
    await expect(kinesis.send(new ListStreamsCommand({}))).rejects.toMatchObject({
      name: 'ProvisionedThroughputExceededException',
      $metadata: { httpStatusCode: 400 },
    });
    const sqsError: unknown = await sqs
      .send(new GetQueueAttributesCommand({ QueueUrl: QUEUE_URL, AttributeNames: ['All'] }))
      .catch((e: unknown) => e);
    expect(sqsError).toMatchObject({ $metadata: { httpStatusCode: 400 } });
    expect(JSON.stringify(sqsError)).toContain('RequestThrottled');
    expect(upstream.received).toHaveLength(0);
    await expect(kinesis.send(new ListStreamsCommand({}))).resolves.toMatchObject({ StreamNames: ['s'] });
  });

  it('answers 500 InternalFailure and 503 ServiceUnavailable', async () => {
    proxy.add({ operations: ['ListStreams'], fault: { kind: 'serverError', status: 500 }, limit: { count: 1 } });
    proxy.add({ operations: ['ListStreams'], fault: { kind: 'serverError', status: 503 }, limit: { count: 1 } });
    await expect(kinesis.send(new ListStreamsCommand({}))).rejects.toMatchObject({
      name: 'InternalFailure',
      $metadata: { httpStatusCode: 500 },
    });
    await expect(kinesis.send(new ListStreamsCommand({}))).rejects.toMatchObject({
      name: 'ServiceUnavailable',
      $metadata: { httpStatusCode: 503 },
    });
    await expect(kinesis.send(new ListStreamsCommand({}))).resolves.toBeDefined();
  });

  it('hits only the selected requests (every n-th) of the named operation', async () => {
    proxy.add({
      operations: ['ListStreams'],
      requests: { mode: 'every', n: 2 },
      fault: { kind: 'serverError', status: 500 },
    });
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) {
      outcomes.push(
        await kinesis.send(new ListStreamsCommand({})).then(
          () => 'ok',
          (e: Error) => e.name,
        ),
      );
    }
    expect(outcomes).toEqual(['ok', 'InternalFailure', 'ok', 'InternalFailure']);
    await expect(kinesis.send(new PutRecordsCommand({ StreamName: 's', Records: records(1) }))).resolves.toBeDefined();
  });

  it('adds latency before forwarding', async () => {
    proxy.add({ fault: { kind: 'latency', ms: 300 }, limit: { count: 1 } });
    const started = Date.now();
    await kinesis.send(new ListStreamsCommand({}));
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
  });

  it('hangs until the client gives up; with phase after, the request still reached the upstream', async () => {
    // The product's client (src/aws/clients.ts: requestTimeout with throwOnRequestTimeout) with a 1 s timeout gives up
    // long before the 60 s hang bound: the failure is the client's timeout, not the proxy's socket close.
    const impatient = clients(proxy, 1_000).kinesis;
    proxy.add({
      operations: ['PutRecords'],
      fault: { kind: 'hang', maxHangMs: 60_000, phase: 'after' },
      limit: { count: 1 },
    });
    await expect(impatient.send(new PutRecordsCommand({ StreamName: 's', Records: records(2) }))).rejects.toMatchObject(
      { name: 'TimeoutError', code: 'ETIMEDOUT' },
    );
    expect(forwardedRecordData(upstream)).toEqual(['r0', 'r1']);
    impatient.destroy();
  });

  it('bounds a hang by maxHangMs even when the client would wait longer', async () => {
    const patient = clients(proxy, 30_000).kinesis;
    await patient.send(new ListStreamsCommand({})); // connected: the hang is all the next request waits for
    proxy.add({ fault: { kind: 'hang', maxHangMs: 400 }, limit: { count: 1 } });
    const started = Date.now();
    const error: unknown = await patient.send(new ListStreamsCommand({})).catch((e: unknown) => e);
    const waited = Date.now() - started;
    // The proxy closed the socket (not the client's 30 s timeout), and not before the hang's 400 ms were up.
    expect(error).toMatchObject({ message: expect.stringMatching(/socket hang up/) as unknown });
    expect(waited).toBeGreaterThanOrEqual(390);
    expect(waited).toBeLessThan(25_000);
    patient.destroy();
  });

  it('resets the connection', async () => {
    proxy.add({ fault: { kind: 'reset' }, limit: { count: 1 } });
    await expect(kinesis.send(new ListStreamsCommand({}))).rejects.toThrow(/socket hang up/);
    await expect(kinesis.send(new ListStreamsCommand({}))).resolves.toMatchObject({ StreamNames: ['s'] });
    expect(upstream.received).toHaveLength(1);
  });

  it('fails chosen DeleteMessageBatch and ChangeMessageVisibilityBatch entries without forwarding them', async () => {
    proxy.add({
      operations: ['DeleteMessageBatch', 'ChangeMessageVisibilityBatch'],
      fault: { kind: 'sqsBatchEntries', entries: { mode: 'indexes', indexes: [0, 2] } },
    });
    const entries = ['a', 'b', 'c'].map((id) => ({ Id: id, ReceiptHandle: `rh-${id}` }));
    const deleted = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: QUEUE_URL, Entries: entries }));
    expect(deleted.Successful?.map((s) => s.Id)).toEqual(['b']);
    expect(deleted.Failed).toEqual([
      { Id: 'a', SenderFault: false, Code: 'InternalError', Message: 'injected failure' },
      { Id: 'c', SenderFault: false, Code: 'InternalError', Message: 'injected failure' },
    ]);
    const changed = await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: QUEUE_URL,
        Entries: entries.slice(0, 1).map((e) => ({ ...e, VisibilityTimeout: 30 })),
      }),
    );
    expect(changed.Successful ?? []).toEqual([]);
    expect(changed.Failed?.map((f) => f.Id)).toEqual(['a']);
    // Only the surviving entry went upstream; the all-failed second call went nowhere.
    expect(upstream.received.map((r) => (r.body['Entries'] as { Id: string }[]).map((e) => e.Id))).toEqual([['b']]);
  });

  it('refuses connections while down, and comes back by itself when the window ends', async () => {
    // A window far longer than a request takes even on a loaded machine; the end is awaited, not guessed.
    const windowMs = 3_000;
    const downAt = Date.now();
    await proxy.down({ durationMs: windowMs, mode: 'refuse' });
    expect(proxy.isDown()).toBe(true);
    await expect(kinesis.send(new ListStreamsCommand({}))).rejects.toThrow(/ECONNREFUSED/);
    await waitFor(() => !proxy.isDown(), 30_000);
    expect(Date.now() - downAt).toBeGreaterThanOrEqual(windowMs - 10);
    await expect(kinesis.send(new ListStreamsCommand({}))).resolves.toMatchObject({ StreamNames: ['s'] });
  });

  it('resets every connection while down in reset mode; reset() ends the window early', async () => {
    await proxy.down({ durationMs: 60_000, mode: 'reset' });
    await expect(kinesis.send(new ListStreamsCommand({}))).rejects.toThrow(/socket hang up/);
    expect(proxy.stats().downRejections).toBeGreaterThan(0);
    await proxy.reset();
    await expect(kinesis.send(new ListStreamsCommand({}))).resolves.toMatchObject({ StreamNames: ['s'] });
  });

  it('expires a rule after its duration', async () => {
    await kinesis.send(new ListStreamsCommand({})); // connected before the rule's clock starts
    // A window long enough for a request even on a loaded machine; the expiry is awaited on the rule's own deadline.
    const rule = proxy.add({ fault: { kind: 'serverError', status: 503 }, limit: { durationMs: 3_000 } });
    await expect(kinesis.send(new ListStreamsCommand({}))).rejects.toMatchObject({ name: 'ServiceUnavailable' });
    await sleep(Math.max(0, rule.expiresAtMs - Date.now()) + 20);
    await expect(kinesis.send(new ListStreamsCommand({}))).resolves.toMatchObject({ StreamNames: ['s'] });
    expect(rule.injected).toBe(1);
  });

  it('counts requests the client abandoned before the answer, not those the proxy dropped itself', async () => {
    const impatient = clients(proxy, 500).kinesis;
    proxy.add({ operations: ['ListStreams'], fault: { kind: 'latency', ms: 3_000 }, limit: { count: 1 } });
    await expect(impatient.send(new ListStreamsCommand({}))).rejects.toMatchObject({
      name: 'TimeoutError',
      code: 'ETIMEDOUT',
    });
    await waitFor(() => proxy.stats().abandoned === 1, 10_000);
    proxy.add({ fault: { kind: 'reset' }, limit: { count: 1 } });
    await expect(kinesis.send(new ListStreamsCommand({}))).rejects.toThrow(/socket hang up/);
    expect(proxy.stats().abandoned).toBe(1);
    impatient.destroy();
  });

  // Evidence of the chaos scenarios (issue 26 item 7): counted by the proxy itself, so a product that skips a retry,
  // or a fault plan whose faults never fire, cannot pass.

  it('counts failed delete entries and whether a later delete carried the same receipt handle again', async () => {
    proxy.add({
      operations: ['DeleteMessageBatch'],
      fault: { kind: 'sqsBatchEntries', entries: { mode: 'indexes', indexes: [1] } },
      limit: { count: 1 },
    });
    const entries = ['a', 'b', 'c'].map((id) => ({ Id: id, ReceiptHandle: `rh-${id}` }));
    const first = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: QUEUE_URL, Entries: entries }));
    expect(first.Failed?.map((f) => f.Id)).toEqual(['b']);
    const afterFailure = proxy.stats().entryRetries['DeleteMessageBatch'];
    expect(afterFailure).toEqual({ failed: 1, retried: 0 });
    // A delete that took the failed entry as deleted: the message reappears and is deleted under a new receipt
    // handle, which is no retry of the failed entry.
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: QUEUE_URL,
        Entries: [{ Id: 'b', ReceiptHandle: 'rh-b-received-again' }],
      }),
    );
    expect(proxy.stats().entryRetries['DeleteMessageBatch']).toEqual({ failed: 1, retried: 0 });
    expect(deleteRetryProblems(proxy.stats().entryRetries['DeleteMessageBatch'])).toEqual([
      '1 of 1 failed DeleteMessageBatch entries were never retried with their receipt handle (treated as deleted?)',
    ]);
    // The retry G1 asks for: the same entry, same receipt handle, accepted.
    await sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl: QUEUE_URL, Entries: [{ Id: 'b', ReceiptHandle: 'rh-b' }] }),
    );
    expect(proxy.stats().entryRetries['DeleteMessageBatch']).toEqual({ failed: 1, retried: 1 });
    expect(deleteRetryProblems(proxy.stats().entryRetries['DeleteMessageBatch'])).toEqual([]);
    expect(deleteRetryProblems(undefined)).toEqual(['no DeleteMessageBatch entry was failed by the proxy']);
  });

  it('in reject mode reads and counts every refused request by operation, forwards nothing, and comes back', async () => {
    await kinesis.send(new ListStreamsCommand({}));
    const forwardedBefore = upstream.received.length;
    await proxy.down({ durationMs: 60_000, mode: 'reject' });
    // Every request fails; the first may die on the kept-alive socket the window closed, before the proxy reads it.
    for (let i = 0; i < 5; i++) {
      await expect(kinesis.send(new PutRecordsCommand({ StreamName: 's', Records: records(2) }))).rejects.toThrow(
        /socket hang up|ECONNRESET/,
      );
    }
    const refused = proxy.stats().refusedWhileDown;
    expect(Object.keys(refused)).toEqual(['PutRecords']);
    expect(refused['PutRecords']).toBeGreaterThanOrEqual(4);
    expect(upstream.received.length).toBe(forwardedBefore);
    await proxy.up();
    await expect(kinesis.send(new ListStreamsCommand({}))).resolves.toMatchObject({ StreamNames: ['s'] });
    // Requests after the window are served and not counted as refused.
    expect(proxy.stats().refusedWhileDown).toEqual(refused);
  });

  it('fires every named fault of putrecords-faults (hang, reset, lying 200) within 20 PutRecords requests', async () => {
    // Hangs end at the client's timeout; every other fault answers at once.
    const impatient = clients(proxy, 500).kinesis;
    proxy.set(putRecordsFaultPlan(60_000).kinesis);
    for (let i = 0; i < 20; i++) {
      await impatient.send(new PutRecordsCommand({ StreamName: 's', Records: records(3) })).catch(() => undefined);
    }
    const injected = new Map(proxy.stats().rules.map((r) => [r.name, r.injected]));
    const names = Object.values(PUT_RECORDS_NAMED_FAULTS);
    const fired = Object.fromEntries(names.map((name) => [name, (injected.get(name) ?? 0) > 0]));
    expect(fired).toEqual(Object.fromEntries(names.map((name) => [name, true])));
    impatient.destroy();
  });

  it('counts messages SQS hands out again (redeliveries) from ReceiveMessage answers', async () => {
    upstream.receiveAnswers.push(['m1', 'm2'], ['m3'], ['m2', 'm4', 'm1']);
    for (let i = 0; i < 3; i++) await sqs.send(new ReceiveMessageCommand({ QueueUrl: QUEUE_URL }));
    expect(proxy.stats().received).toEqual({ messages: 6, redelivered: 2 });
  });
});
