import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ApplicationFailure } from '@temporalio/common';
import {
  createActivities,
  type ActivityDeps,
  type PublishBodiesRequest,
  type ReceivedMessage,
  type TransformedBatch,
} from '../../activities';
import { encodedBytes } from '../../activities/payload-cost';
import { recordsToPublish } from '../../activities/publish-records';
import { PUBLISH_STALLED } from '../../workflows/failure-types';
import { DEFAULT_VALIDATION_LIMITS } from '../../src/domain/limits';
import {
  createTestQueue,
  createTestStream,
  deleteTestQueue,
  deleteTestStream,
  emulatorClients,
  queueArn,
  queueDepth,
  readStream,
  sendBodies,
} from '../helpers/aws';
import { injectPutRecordsFaults } from '../helpers/kinesis-faults';
import { slowDownPutRecords } from '../helpers/kinesis-latency';
import { asBase64, validSubmission } from '../helpers/submissions';
import { quietActivityEnvironment, runActivity, uniqueName } from '../helpers/temporal';

/** The publish input the workflow builds: each valid submission's body as received, and the batch's derivation. */
function publishInputFor(messages: ReceivedMessage[], transformed: TransformedBatch): PublishBodiesRequest {
  return {
    submissions: transformed.valid.map(({ messageId, events }) => {
      const message = messages.find((m) => m.messageId === messageId);
      if (!message?.body) throw new Error(`no body for ${messageId}`);
      const { body, bodyEncoding, sentAtMs } = message;
      return { messageId, body, ...(bodyEncoding ? { bodyEncoding } : {}), events, sentAtMs };
    }),
    derivation: transformed.derivation,
  };
}

/** The AWS-facing activities against the real SQS and Kinesis emulators of the local stack. */
describe('activities against the emulators', () => {
  // Fresh clients per test: fault injectors are middleware on a client and must not leak into the next test.
  let sqs: SQSClient;
  let kinesis: KinesisClient;
  let queueUrl: string;
  let streamName: string;

  beforeEach(async () => {
    ({ sqs, kinesis } = emulatorClients());
    queueUrl = await createTestQueue(sqs, uniqueName('activities-q'));
    streamName = uniqueName('activities-s');
    await createTestStream(kinesis, streamName, 2);
  });
  afterEach(async () => {
    await deleteTestQueue(sqs, queueUrl);
    await deleteTestStream(kinesis, streamName);
  });

  const deps = (overrides: Partial<ActivityDeps> = {}): ActivityDeps => ({
    sqs,
    kinesis,
    queueUrl,
    streamName,
    limits: DEFAULT_VALIDATION_LIMITS,
    retry: { initialBackoffMs: 1, maxBackoffMs: 5 },
    ...overrides,
  });
  const receiveRequest = { maxNumberOfMessages: 10, receives: 3, visibilityTimeoutSeconds: 30, waitTimeSeconds: 1 };

  it('receives several requests per batch, and hands messages over the byte budget straight back to the queue', async () => {
    const body = 'x'.repeat(1000);
    await sendBodies(
      sqs,
      queueUrl,
      Array.from({ length: 25 }, () => body),
    );
    const { receiveSubmissions } = createActivities(deps());

    const small = await runActivity(receiveSubmissions, [{ ...receiveRequest, byteBudget: 4_500 }]);
    // Each costs its encoded entry (~1.2 KB with receipt handle and ids): three fit, the rest of that answer goes back.
    expect(small.messages).toHaveLength(3);
    expect(small.payloadBytes).toBeLessThanOrEqual(4_500);
    expect(small.releasedOverBudget).toBeGreaterThan(0);

    // Released messages are visible again at once (no visibility-timeout wait); the 3 held ones are not.
    const rest = await runActivity(receiveSubmissions, [{ ...receiveRequest, byteBudget: 1_000_000 }]);
    expect(rest.messages).toHaveLength(22);
    const ids = new Set([...small.messages, ...rest.messages].map((m) => m.messageId));
    expect(ids.size).toBe(25);
    expect(rest.messages.every((m) => m.sentAtMs !== null && m.body === body)).toBe(true);
  });

  it('budgets a batch by its bodies as they travel, not by the events it becomes (records never travel)', async () => {
    const tiny = (): string =>
      JSON.stringify({
        ...validSubmission({ processes: 0, connections: 0 }),
        events: { new_process: Array.from({ length: 50 }, () => ({ cmdl: '', user: '' })) },
      });
    await sendBodies(sqs, queueUrl, Array.from({ length: 10 }, tiny));
    const { receiveSubmissions, validateAndTransform } = createActivities(deps());
    const batch = await runActivity(receiveSubmissions, [{ ...receiveRequest, byteBudget: 25_000 }]);
    const transformed = await runActivity(validateAndTransform, [
      { messages: batch.messages, partitionKey: 'device_id', includeProvenance: false },
    ]);
    const records = recordsToPublish(publishInputFor(batch.messages, transformed)).submissions.flatMap(
      (s) => s.records,
    );
    const eventBytes = records.reduce((sum, r) => sum + Buffer.byteLength(r), 0);
    // Each body is ~1.4 KB but becomes ~9 KB of events, derived inside the publish: all ten fit the budget, which
    // their events (~90 KB) would not.
    expect(records).toHaveLength(10 * 50);
    expect(eventBytes).toBeGreaterThan(25_000);
    expect(batch.messages).toHaveLength(10);
    expect(batch.releasedOverBudget).toBe(0);
    expect(encodedBytes(publishInputFor(batch.messages, transformed))).toBeLessThanOrEqual(25_000);
  });

  it('carries an oversized body as null so it never travels through history', async () => {
    await sendBodies(sqs, queueUrl, ['y'.repeat(2_000), 'small']);
    const { receiveSubmissions } = createActivities(
      deps({ limits: { ...DEFAULT_VALIDATION_LIMITS, maxBodyBytes: 1_000 } }),
    );
    const batch = await runActivity(receiveSubmissions, [{ ...receiveRequest, byteBudget: 100_000 }]);
    const big = batch.messages.find((m) => m.bodyBytes === 2_000);
    expect(big?.body).toBeNull();
    expect(batch.messages.find((m) => m.bodyBytes === 5)?.body).toBe('small');
  });

  it('publishes every event exactly once and in order per submission despite partial failures and a lying response', async () => {
    const docs = Array.from({ length: 12 }, () => validSubmission({ processes: 3, connections: 4 }));
    const ids = await sendBodies(sqs, queueUrl, docs.map(asBase64));
    const { receiveSubmissions, validateAndTransform, publishEvents } = createActivities(deps());
    const received = await runActivity(receiveSubmissions, [{ ...receiveRequest, receives: 2, byteBudget: 1_000_000 }]);
    expect(received.messages).toHaveLength(12);
    const transformed = await runActivity(validateAndTransform, [
      {
        messages: received.messages,
        partitionKey: 'device_id',
        includeProvenance: true,
      },
    ]);
    expect(transformed.invalid).toEqual([]);

    // Every third entry fails, alternating error codes, and the second call claims success while failing everything.
    const faults = injectPutRecordsFaults(kinesis, {
      entryFault: (call, entry) =>
        (call + entry) % 3 === 0
          ? entry % 2
            ? 'InternalFailure'
            : 'ProvisionedThroughputExceededException'
          : undefined,
      lieOnCalls: new Set([1]),
    });
    const input = publishInputFor(received.messages, transformed);
    const expected = recordsToPublish(input).submissions;
    const result = await runActivity(publishEvents, [input]);
    expect(result.eventsPublished).toBe(12 * 7);
    expect(result.retriedEntries).toBeGreaterThan(0);
    expect(faults.calls()).toBeGreaterThan(7);

    const records = await readStream(kinesis, streamName);
    expect(records).toHaveLength(12 * 7);
    for (const [i, messageId] of ids.entries()) {
      const own = records
        .map((r) => ({ ...r, event: JSON.parse(r.data) as { event_index: number; device_id: string; type: string } }))
        .filter((r) => expected.find((s) => s.messageId === messageId)?.records.includes(r.data));
      expect(own).toHaveLength(7);
      // One shard per submission (partition key = device_id) and sequence numbers in submission order.
      expect(new Set(own.map((r) => r.shardId)).size).toBe(1);
      expect(own.every((r) => r.partitionKey === docs[i]?.device_id)).toBe(true);
      const bySequence = [...own].sort((a, b) => (BigInt(a.sequenceNumber) < BigInt(b.sequenceNumber) ? -1 : 1));
      expect(bySequence.map((r) => r.event.event_index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect(bySequence.map((r) => r.event.type)).toEqual([
        ...Array.from({ length: 3 }, () => 'new_process'),
        ...Array.from({ length: 4 }, () => 'network_connection'),
      ]);
    }
  });

  it('resumes a retried publish at the first unacknowledged event of each submission', async () => {
    const submissions = [
      { messageId: 'a', partitionKey: 'p', records: ['a0', 'a1', 'a2'] },
      { messageId: 'b', partitionKey: 'p', records: ['b0', 'b1'] },
    ];
    const { publishEvents } = createActivities(deps());
    const env = quietActivityEnvironment({ heartbeatDetails: { progress: { a: 2, b: 0 } } });
    const result = await runActivity(publishEvents, [{ submissions }], env);
    expect(result).toMatchObject({ eventsPublished: 3, resumedEvents: 2 });
    const records = await readStream(kinesis, streamName);
    expect(records.map((r) => r.data).sort()).toEqual(['a2', 'b0', 'b1']);
  });

  it('heartbeats after each round that leaves events to publish, never after the last (it would race the completion)', async () => {
    const submissions = [
      { messageId: 'a', partitionKey: 'p', records: ['a0', 'a1', 'a2'] },
      { messageId: 'b', partitionKey: 'p', records: ['b0'] },
    ];
    const { publishEvents } = createActivities(deps());
    const env = quietActivityEnvironment();
    const heartbeats: unknown[] = [];
    // A copy: the activity keeps advancing the progress object it heartbeated.
    env.on('heartbeat', (details: { progress: object }) => heartbeats.push({ ...details.progress }));
    const result = await runActivity(publishEvents, [{ submissions }], env);
    expect(result.eventsPublished).toBe(4);
    // Rounds: a0 + b0, a1, a2 (one unacknowledged event per submission per round); nothing after the third.
    expect(heartbeats).toEqual([
      { a: 1, b: 1 },
      { a: 2, b: 1 },
    ]);
  });

  /** What a lost attempt left behind: records it put on the stream after its last recorded heartbeat. */
  async function putDirectly(partitionKey: string, records: string[]): Promise<void> {
    await kinesis.send(
      new PutRecordsCommand({
        StreamName: streamName,
        Records: records.map((data) => ({ Data: Buffer.from(data), PartitionKey: partitionKey })),
      }),
    );
  }

  it('does not publish again what the lost attempt put on the stream after its last recorded heartbeat', async () => {
    const submissions = [
      { messageId: 'a', partitionKey: 'p', records: ['a0', 'a1', 'a2', 'a3'] },
      { messageId: 'b', partitionKey: 'q', records: ['b0', 'b1'] },
    ];
    const heartbeatAtMs = Date.now();
    // Acknowledged before the heartbeat (in its progress), then a2 and b0 landed after it (acknowledged too late, or
    // in flight when the worker died).
    await putDirectly('p', ['a0', 'a1', 'a2']);
    await putDirectly('q', ['b0']);
    const { publishEvents } = createActivities(deps());
    const env = quietActivityEnvironment({ heartbeatDetails: { progress: { a: 2, b: 0 }, atMs: heartbeatAtMs } });

    const result = await runActivity(publishEvents, [{ submissions }], env);

    expect(result).toMatchObject({ eventsPublished: 2, resumedEvents: 4 });
    const records = (await readStream(kinesis, streamName)).map((r) => r.data);
    expect(records.sort()).toEqual(['a0', 'a1', 'a2', 'a3', 'b0', 'b1']);
  });

  it('a retry without a heartbeat (its attempt died in the first round) scans from the first schedule', async () => {
    const submissions = [{ messageId: 'b', partitionKey: 'q', records: ['b0', 'b1'] }];
    const scheduledTimestampMs = Date.now();
    await putDirectly('q', ['b0']);
    const { publishEvents } = createActivities(deps());
    const env = quietActivityEnvironment({ attempt: 2, scheduledTimestampMs });

    const result = await runActivity(publishEvents, [{ submissions }], env);

    expect(result).toMatchObject({ eventsPublished: 1, resumedEvents: 1 });
    expect((await readStream(kinesis, streamName)).map((r) => r.data)).toEqual(['b0', 'b1']);
  });

  it('a first attempt never reads the stream: what is there already is published anyway', async () => {
    const submissions = [{ messageId: 'b', partitionKey: 'q', records: ['b0', 'b1'] }];
    await putDirectly('q', ['b0']);
    const { publishEvents } = createActivities(deps());

    const result = await runActivity(publishEvents, [{ submissions }], quietActivityEnvironment());

    expect(result).toMatchObject({ eventsPublished: 2, resumedEvents: 0 });
    expect((await readStream(kinesis, streamName)).map((r) => r.data)).toEqual(['b0', 'b0', 'b1']);
  });

  it('fails an attempt that makes no progress as retryable, keeping the acknowledged prefix in its heartbeat', async () => {
    injectPutRecordsFaults(kinesis, {
      entryFault: (call) => (call === 0 ? undefined : 'ProvisionedThroughputExceededException'),
    });
    const { publishEvents } = createActivities(
      deps({ retry: { initialBackoffMs: 1, maxBackoffMs: 2, maxRoundsWithoutProgress: 3 } }),
    );
    const env = quietActivityEnvironment();
    const heartbeats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => heartbeats.push(details));
    const submissions = [{ messageId: 'a', partitionKey: 'p', records: ['a0', 'a1'] }];
    const error = await runActivity(publishEvents, [{ submissions }], env).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: PUBLISH_STALLED, nonRetryable: false });
    expect(heartbeats.at(-1)).toEqual({ progress: { a: 1 }, atMs: expect.any(Number) as number });
    expect((await readStream(kinesis, streamName)).map((r) => r.data)).toEqual(['a0']);
  });

  it('fails non-retryably when the stream does not exist', async () => {
    const { publishEvents } = createActivities(deps({ streamName: uniqueName('missing') }));
    const error = await runActivity(publishEvents, [
      { submissions: [{ messageId: 'a', partitionKey: 'p', records: ['x'] }] },
    ]).catch((err: unknown) => err);
    expect(error).toMatchObject({ type: 'ResourceNotFoundException', nonRetryable: true });
  });

  it.each([
    ['with', 'keeps the message hidden', true],
    ['without', 'lets it reappear (control)', false],
  ])(
    '%s a lease, a publish slower than the visibility timeout %s',
    async (_with, _outcome, withLease) => {
      await sendBodies(sqs, queueUrl, [asBase64(validSubmission({ processes: 1, connections: 0 }))]);
      const { receiveSubmissions, validateAndTransform, publishEvents } = createActivities(deps());
      const received = await runActivity(receiveSubmissions, [
        { ...receiveRequest, visibilityTimeoutSeconds: 3, waitTimeSeconds: 0, byteBudget: 100_000 },
      ]);
      const transformed = await runActivity(validateAndTransform, [
        { messages: received.messages, partitionKey: 'device_id', includeProvenance: false },
      ]);
      slowDownPutRecords(kinesis, 5_000);
      const lease = {
        messages: received.messages.map(({ messageId, receiptHandle }) => ({ messageId, receiptHandle })),
        visibilityTimeoutSeconds: 3,
      };
      const result = await runActivity(publishEvents, [
        { ...publishInputFor(received.messages, transformed), lease: withLease ? lease : undefined },
      ]);

      // 5 s after a 3 s visibility timeout: only the lease keeps the message from being handed to someone else.
      const again = await runActivity(receiveSubmissions, [
        { ...receiveRequest, waitTimeSeconds: 0, byteBudget: 100_000 },
      ]);
      if (withLease) {
        expect(result.leaseExtensions).toBeGreaterThanOrEqual(2);
        expect(again.messages).toHaveLength(0);
      } else {
        expect(result.leaseExtensions).toBe(0);
        expect(again.messages).toHaveLength(1);
      }
    },
    20_000,
  );

  it('copies invalid submissions to the quarantine queue (body + reason) before deleting them', async () => {
    const quarantineUrl = await createTestQueue(sqs, uniqueName('quarantine'));
    try {
      // The third travels as its decoded text (exactly reversible base64): the copy must hold the base64 as sent.
      const base64Body = asBase64({ submission_id: 'not-an-uuid' });
      await sendBodies(sqs, queueUrl, ['not json at all', '{"submission_id":"not-an-uuid"}', base64Body]);
      const { receiveSubmissions, validateAndTransform, dropInvalidSubmissions } = createActivities(
        deps({ quarantineQueueUrl: quarantineUrl }),
      );
      const batch = await runActivity(receiveSubmissions, [{ ...receiveRequest, byteBudget: 100_000 }]);
      const transformed = await runActivity(validateAndTransform, [
        { messages: batch.messages, partitionKey: 'device_id', includeProvenance: false },
      ]);
      expect(transformed.invalid).toHaveLength(3);
      expect(batch.messages.filter((m) => m.bodyEncoding === 'base64').map((m) => m.body)).toEqual([
        '{"submission_id":"not-an-uuid"}',
      ]);
      const invalid = transformed.invalid.map((i) => {
        const m = batch.messages.find((b) => b.messageId === i.messageId);
        if (!m) throw new Error('unknown message');
        return {
          ...i,
          receiptHandle: m.receiptHandle,
          body: m.body,
          bodyEncoding: m.bodyEncoding,
          bodyBytes: m.bodyBytes,
        };
      });

      const result = await runActivity(dropInvalidSubmissions, [{ messages: invalid }]);

      expect(result).toMatchObject({ quarantined: 3, notQuarantined: 0, deleted: 3 });
      expect(await queueDepth(sqs, queueUrl)).toEqual({ visible: 0, inFlight: 0 });
      const copies = await runActivity(createActivities(deps({ queueUrl: quarantineUrl })).receiveSubmissions, [
        { ...receiveRequest, byteBudget: 100_000 },
      ]);
      const records = copies.messages.map((m) => JSON.parse(m.body ?? '') as Record<string, unknown>);
      expect(records.map((r) => r.body).sort()).toEqual(
        [base64Body, 'not json at all', '{"submission_id":"not-an-uuid"}'].sort(),
      );
      expect(records.map((r) => r.reason).sort()).toEqual(invalid.map((i) => i.reason).sort());
      expect(records.every((r) => invalid.some((i) => i.messageId === r.original_message_id))).toBe(true);
    } finally {
      await deleteTestQueue(sqs, quarantineUrl);
    }
  });

  it('leaves a message whose publishing keeps failing in the queue until the redrive policy dead-letters it', async () => {
    const dlqUrl = await createTestQueue(sqs, uniqueName('dlq'));
    const redriveQueueUrl = await createTestQueue(sqs, uniqueName('redrive'), {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: await queueArn(sqs, dlqUrl), maxReceiveCount: '2' }),
    });
    try {
      await sendBodies(sqs, redriveQueueUrl, [asBase64(validSubmission())]);
      // The stream does not exist: every publish fails, so the message is never deleted.
      const activities = createActivities(deps({ queueUrl: redriveQueueUrl, streamName: uniqueName('missing') }));
      // One ReceiveMessage per attempt and a visibility no scheduling stall outlasts: the message is received exactly
      // once per attempt, then handed back explicitly (visibility 0, as when its lease ends) instead of waiting for a
      // short timeout to lapse, which a loaded machine could stretch into a second receive within one attempt.
      const once = {
        ...receiveRequest,
        receives: 1,
        visibilityTimeoutSeconds: 60,
        waitTimeSeconds: 5,
        byteBudget: 100_000,
      };
      for (let attempt = 1; attempt <= 2; attempt++) {
        const batch = await runActivity(activities.receiveSubmissions, [once]);
        expect(batch.messages.map((m) => m.receiveCount)).toEqual([attempt]);
        const transformed = await runActivity(activities.validateAndTransform, [
          { messages: batch.messages, partitionKey: 'device_id', includeProvenance: false },
        ]);
        await expect(
          runActivity(activities.publishEvents, [publishInputFor(batch.messages, transformed)]),
        ).rejects.toMatchObject({
          type: 'ResourceNotFoundException',
        });
        await sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: redriveQueueUrl,
            ReceiptHandle: batch.messages[0]?.receiptHandle,
            VisibilityTimeout: 0,
          }),
        );
      }
      // Received maxReceiveCount times without a delete: the next receive moves it to the dead-letter queue.
      expect((await runActivity(activities.receiveSubmissions, [once])).messages).toHaveLength(0);
      const dead = await runActivity(createActivities(deps({ queueUrl: dlqUrl })).receiveSubmissions, [once]);
      expect(dead.messages).toHaveLength(1);
    } finally {
      await deleteTestQueue(sqs, redriveQueueUrl);
      await deleteTestQueue(sqs, dlqUrl);
    }
  }, 60_000);

  it('deletes only the messages it is given and checks every entry', async () => {
    await sendBodies(sqs, queueUrl, ['one', 'two', 'three']);
    const { receiveSubmissions, deleteMessages } = createActivities(deps());
    const batch = await runActivity(receiveSubmissions, [{ ...receiveRequest, byteBudget: 100_000 }]);
    expect(batch.messages).toHaveLength(3);
    const toDelete = batch.messages.slice(0, 2).map(({ messageId, receiptHandle }) => ({ messageId, receiptHandle }));
    const result = await runActivity(deleteMessages, [{ messages: toDelete }]);
    expect(result).toEqual({ deleted: 2, retriedEntries: 0, staleReceipts: [] });
    expect(await queueDepth(sqs, queueUrl)).toEqual({ visible: 0, inFlight: 1 });
  });
});
