import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import {
  ChangeMessageVisibilityCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities, MessageHold, type ActivityDeps, type ReceiveRequest } from '../../activities';
import type { HeldBatch } from '../../activities/message-hold';
import { mayBeOnStreamSince } from '../../activities/publish-events';
import { eventIdFor } from '../../src/domain/event-id';
import { DEFAULT_VALIDATION_LIMITS } from '../../src/domain/limits';
import { BATCH_NOT_HELD, PUBLISH_STALLED } from '../../src/contracts/failure-types';
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
  type StreamRecord,
} from '../helpers/aws';
import { injectPutRecordsFaults } from '../helpers/kinesis-faults';
import { slowDownPutRecords } from '../helpers/kinesis-latency';
import { asBase64, validSubmission } from '../helpers/submissions';
import { quietActivityEnvironment, runActivity, uniqueName } from '../helpers/temporal';

/** The receiving worker's own task queue, as the mock activity environment reports it. */
const OWN_QUEUE = 'activities-test-own';

/**
 * An environment like the one a receive runs in: its start-to-close timeout leaves time for follow-up requests (the
 * mock's default of 1 s would stop the batch after its first request).
 */
const receiveEnv = () => quietActivityEnvironment({ startToCloseTimeoutMs: 60_000, taskQueue: OWN_QUEUE });

interface EventFields {
  event_id: string;
  event_index: number;
  device_id: string;
  type: string;
  time_created: string;
}

const eventOf = (record: StreamRecord): EventFields => JSON.parse(record.data) as EventFields;

/** A submission's records as they sit on the stream, in sequence order. */
function bySequence(records: StreamRecord[]): StreamRecord[] {
  return [...records].sort((a, b) => (BigInt(a.sequenceNumber) < BigInt(b.sequenceNumber) ? -1 : 1));
}

/** Throws a retryable SQS error on the chosen ReceiveMessage calls (0-based), passing the others to the emulator. */
function failReceives(sqs: SQSClient, failing: ReadonlySet<number>): void {
  let calls = 0;
  sqs.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== ReceiveMessageCommand.name) return next(args);
      if (failing.has(calls++)) {
        throw Object.assign(new Error('injected'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
      }
      return next(args);
    },
    { step: 'initialize', name: 'failReceives' },
  );
}

/**
 * PutRecords that reach the stream but whose answers are lost (a timeout after Kinesis stored them): from call
 * `fromCall` on, while `lost()` holds, the request is forwarded and then fails as a timeout.
 */
function loseAnswers(kinesis: KinesisClient, fromCall: number, lost: () => boolean): void {
  let calls = 0;
  kinesis.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== PutRecordsCommand.name) return next(args);
      const result = await next(args);
      if (calls++ >= fromCall && lost()) {
        throw Object.assign(new Error('socket hang up after the request was sent'), { name: 'TimeoutError' });
      }
      return result;
    },
    { step: 'initialize', name: 'loseAnswers' },
  );
}

/** The AWS-facing activities against the real SQS and Kinesis emulators of the local stack. */
describe('activities against the emulators', () => {
  // Fresh clients per test: fault injectors are middleware on a client and must not leak into the next test.
  let sqs: SQSClient;
  let kinesis: KinesisClient;
  let queueUrl: string;
  let streamName: string;
  let holds: MessageHold[] = [];

  beforeEach(async () => {
    ({ sqs, kinesis } = emulatorClients());
    queueUrl = await createTestQueue(sqs, uniqueName('activities-q'));
    streamName = uniqueName('activities-s');
    await createTestStream(kinesis, streamName, 2);
  });
  afterEach(async () => {
    for (const hold of holds) hold.close();
    holds = [];
    await deleteTestQueue(sqs, queueUrl);
    await deleteTestStream(kinesis, streamName);
  });

  /** One worker: its activities and the hold that keeps the bodies of the batches it receives. */
  function worker(overrides: Partial<Omit<ActivityDeps, 'hold'>> = {}, maxBytes = 64 * 1024 * 1024) {
    const base = {
      sqs,
      kinesis,
      queueUrl,
      streamName,
      limits: DEFAULT_VALIDATION_LIMITS,
      retry: { initialBackoffMs: 1, maxBackoffMs: 5 },
      ...overrides,
    };
    const hold = new MessageHold({ sqs: base.sqs, queueUrl: base.queueUrl }, { maxBytes, idleReleaseMs: 60_000 });
    holds.push(hold);
    return { ...createActivities({ ...base, hold }), hold };
  }

  type Worker = ReturnType<typeof worker>;

  const receiveRequest: ReceiveRequest = {
    maxNumberOfMessages: 10,
    receives: 3,
    visibilityTimeoutSeconds: 30,
    waitTimeSeconds: 1,
  };
  const judging = { partitionKey: 'device_id' as const, includeProvenance: false, unknownFields: 'accept' as const };

  async function receive(w: Worker, request: Partial<ReceiveRequest> = {}) {
    return runActivity(w.receiveSubmissions, [{ ...receiveRequest, ...request }], receiveEnv());
  }

  /** Receives and validates a batch on `w`: what the workflow does before publishing. */
  async function receiveAndValidate(w: Worker, request: Partial<ReceiveRequest> = {}, includeProvenance = false) {
    const received = await receive(w, request);
    const validated = await runActivity(w.validateSubmissions, [
      { batchId: received.batchId, ...judging, includeProvenance },
    ]);
    return { received, validated };
  }

  function heldBatch(w: Worker, batchId: string): Promise<HeldBatch> {
    return w.hold.use(batchId, (batch) => Promise.resolve(batch));
  }

  /** The records each held valid message is to publish, by SQS message id. */
  async function heldRecords(w: Worker, batchId: string): Promise<Map<string, string[]>> {
    const batch = await heldBatch(w, batchId);
    return new Map(
      [...batch.messages.values()].flatMap((m) =>
        m.validation?.valid ? [[m.messageId, m.validation.submission.records] as const] : [],
      ),
    );
  }

  it('receives several requests per batch, holds the bodies on the worker and returns only its reference and size', async () => {
    const body = 'x'.repeat(1000);
    await sendBodies(
      sqs,
      queueUrl,
      Array.from({ length: 25 }, () => body),
    );
    const w = worker();

    const batch = await receive(w, { receives: 2 });

    // Two full answers of ten; the five left wait for the next receive.
    expect(batch).toEqual({
      batchId: expect.any(String) as string,
      taskQueue: OWN_QUEUE,
      messages: 20,
      bodyBytes: 20_000,
      redelivered: 0,
    });
    expect(w.hold.heldBytes).toBe(20_000);
    const held = await heldBatch(w, batch.batchId);
    expect([...held.messages.values()].every((m) => m.body === body && m.sentAtMs !== null)).toBe(true);
    expect(await queueDepth(sqs, queueUrl)).toEqual({ visible: 5, inFlight: 20 });

    // An answer that is not full ends the batch: no third request waits for more.
    const rest = await receive(w);
    expect(rest.messages).toBe(5);
    const ids = new Set([...held.messages.keys(), ...(await heldBatch(w, rest.batchId)).messages.keys()]);
    expect(ids.size).toBe(25);
  });

  it('keeps what earlier requests got when a later one fails; a failing first request holds nothing', async () => {
    await sendBodies(
      sqs,
      queueUrl,
      Array.from({ length: 15 }, (_, i) => `body-${i}`),
    );
    failReceives(sqs, new Set([1, 2]));
    const w = worker();

    const batch = await receive(w);

    // The first answer's ten are held (under the batch's lease), not dropped to reappear a visibility timeout later.
    expect(batch.messages).toBe(10);
    expect((await heldBatch(w, batch.batchId)).messages.size).toBe(10);
    expect(await queueDepth(sqs, queueUrl)).toEqual({ visible: 5, inFlight: 10 });

    // The next receive's first request fails (call 2): a retryable failure, nothing held, nothing taken.
    const error = await receive(w).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: 'ThrottlingException', nonRetryable: false });
    expect(w.hold.heldBatches).toBe(1);
    expect(await queueDepth(sqs, queueUrl)).toEqual({ visible: 5, inFlight: 10 });
  });

  it('receives nothing while the hold is full (not an empty queue), and leaves the queue untouched', async () => {
    await sendBodies(sqs, queueUrl, ['x'.repeat(500), 'y'.repeat(500)]);
    const w = worker({}, 400);
    const first = await receive(w, { maxNumberOfMessages: 1, receives: 1 });
    expect(first.messages).toBe(1);
    expect(w.hold.room).toBe(0);

    const full = await receive(w, { waitTimeSeconds: 1 });

    expect(full).toMatchObject({ messages: 0, holdFull: true });
    expect(await queueDepth(sqs, queueUrl)).toEqual({ visible: 1, inFlight: 1 });
    // Letting the batch go (deleted, or abandoned) makes room again.
    w.hold.release(first.batchId);
    expect(w.hold.room).toBe(400);
  });

  it('derives event ids from the OriginalMessageId attribute of a redriven message, else from its own id', async () => {
    const doc = validSubmission({ processes: 1, connections: 1 });
    const redriven = await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: asBase64(doc),
        MessageAttributes: { OriginalMessageId: { DataType: 'String', StringValue: 'original-id-from-the-dlq' } },
      }),
    );
    const [plain] = await sendBodies(sqs, queueUrl, [asBase64(validSubmission({ processes: 1, connections: 1 }))]);
    const w = worker();
    const { received, validated } = await receiveAndValidate(w);
    expect(validated).toMatchObject({ valid: 2, events: 4 });

    await runActivity(w.publishEvents, [{ batchId: received.batchId }]);

    const ids = (await readStream(kinesis, streamName)).map((r) => eventOf(r).event_id).sort();
    expect(ids).toEqual(
      [
        eventIdFor('original-id-from-the-dlq', 0),
        eventIdFor('original-id-from-the-dlq', 1),
        eventIdFor(plain ?? '', 0),
        eventIdFor(plain ?? '', 1),
      ].sort(),
    );
    expect(ids).not.toContain(eventIdFor(redriven.MessageId ?? '', 0));
  });

  it('publishes every event exactly once and in order per submission despite partial failures and a lying response', async () => {
    const docs = Array.from({ length: 12 }, () => validSubmission({ processes: 3, connections: 4 }));
    const ids = await sendBodies(sqs, queueUrl, docs.map(asBase64));
    const w = worker();
    const { received, validated } = await receiveAndValidate(w, { receives: 2 }, true);
    expect(received.messages).toBe(12);
    expect(validated).toMatchObject({ valid: 12, invalid: 0, events: 12 * 7 });
    const expected = await heldRecords(w, received.batchId);

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
    const result = await runActivity(w.publishEvents, [{ batchId: received.batchId }]);
    expect(result).toMatchObject({ eventsPublished: 12 * 7, submissions: 12, resumedEvents: 0 });
    expect(result.retriedEntries).toBeGreaterThan(0);
    expect(faults.calls()).toBeGreaterThan(7);

    const records = await readStream(kinesis, streamName);
    expect(records).toHaveLength(12 * 7);
    expect(new Set(records.map((r) => eventOf(r).event_id)).size).toBe(12 * 7);
    for (const [i, messageId] of ids.entries()) {
      const own = records.filter((r) => expected.get(messageId)?.includes(r.data));
      expect(own).toHaveLength(7);
      // One shard per submission (partition key = device_id) and sequence numbers in submission order.
      expect(new Set(own.map((r) => r.shardId)).size).toBe(1);
      expect(own.every((r) => r.partitionKey === docs[i]?.device_id)).toBe(true);
      const events = bySequence(own).map(eventOf);
      expect(events.map((e) => e.event_index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect(events.map((e) => e.event_id)).toEqual([0, 1, 2, 3, 4, 5, 6].map((n) => eventIdFor(messageId, n)));
      expect(events.map((e) => e.type)).toEqual([
        ...Array.from({ length: 3 }, () => 'new_process'),
        ...Array.from({ length: 4 }, () => 'network_connection'),
      ]);
    }
  });

  it('fails a publish that makes no progress as retryable; the retry resumes from the batch’s progress', async () => {
    await sendBodies(
      sqs,
      queueUrl,
      [0, 1].map(() => asBase64(validSubmission({ processes: 2, connections: 1 }))),
    );
    let broken = true;
    // The first request goes through (each submission's first event); then every entry is throttled until fixed.
    injectPutRecordsFaults(kinesis, {
      entryFault: (call) => (call > 0 && broken ? 'ProvisionedThroughputExceededException' : undefined),
    });
    const w = worker({ retry: { initialBackoffMs: 1, maxBackoffMs: 2, maxRoundsWithoutProgress: 3 } });
    const { received } = await receiveAndValidate(w, {}, true); // with provenance: records carry event_index

    const error = await runActivity(w.publishEvents, [{ batchId: received.batchId }]).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: PUBLISH_STALLED, nonRetryable: false });
    expect((await readStream(kinesis, streamName)).map((r) => eventOf(r).event_index)).toEqual([0, 0]);
    const batch = await heldBatch(w, received.batchId);
    expect(Object.values(batch.progress)).toEqual([1, 1]);

    broken = false;
    const retried = await runActivity(w.publishEvents, [{ batchId: received.batchId }]);

    // Only what was left is sent: no event twice, none skipped.
    expect(retried).toMatchObject({ eventsPublished: 4, resumedEvents: 0 });
    const records = await readStream(kinesis, streamName);
    expect(records).toHaveLength(6);
    expect(new Set(records.map((r) => eventOf(r).event_id)).size).toBe(6);
  });

  it('a retried publish finds on the stream what the lost attempt put there, and does not send it again', async () => {
    await sendBodies(
      sqs,
      queueUrl,
      [0, 1, 2].map(() => asBase64(validSubmission({ processes: 2, connections: 2 }))),
    );
    let lost = true;
    // Attempt 1: its first request lands on the stream but its answer is lost; then the attempt gives up.
    loseAnswers(kinesis, 0, () => lost);
    const w = worker({ retry: { initialBackoffMs: 1, maxBackoffMs: 2, maxRoundsWithoutProgress: 1 } });
    const { received } = await receiveAndValidate(w, {}, true); // with provenance: records carry event_index

    const error = await runActivity(w.publishEvents, [{ batchId: received.batchId }]).catch((err: unknown) => err);
    expect(error).toMatchObject({ type: PUBLISH_STALLED, nonRetryable: false });
    const batch = await heldBatch(w, received.batchId);
    expect(batch.progress).toEqual({}); // nothing acknowledged...
    expect(await readStream(kinesis, streamName)).toHaveLength(3); // ...yet each submission's first event is there
    const startedAtMs = batch.publishStartedAtMs;
    expect(startedAtMs).toEqual(expect.any(Number));

    lost = false;
    const retried = await runActivity(w.publishEvents, [{ batchId: received.batchId }]);

    expect(retried).toMatchObject({ resumedEvents: 3, eventsPublished: 9 });
    expect(batch.publishStartedAtMs).toBe(startedAtMs); // the scan of a later retry still starts there
    const records = await readStream(kinesis, streamName);
    expect(records).toHaveLength(12);
    expect(new Set(records.map((r) => eventOf(r).event_id)).size).toBe(12);
    const devices = new Set(records.map((r) => r.partitionKey));
    expect(devices.size).toBe(3);
    for (const device of devices) {
      const own = records.filter((r) => r.partitionKey === device);
      expect(bySequence(own).map((r) => eventOf(r).event_index)).toEqual([0, 1, 2, 3]);
    }
  });

  it('a REDELIVERED message whose events are partly on the stream is published without duplicating them', async () => {
    const doc = validSubmission({ processes: 2, connections: 2 });
    const [messageId] = await sendBodies(sqs, queueUrl, [asBase64(doc)]);
    if (!messageId) throw new Error('no message id');

    // Worker A publishes two of the four events, then is lost: its hold (and lease) dies with it.
    const { kinesis: kinesisA } = emulatorClients();
    injectPutRecordsFaults(kinesisA, { entryFault: (call) => (call >= 2 ? 'InternalFailure' : undefined) });
    const a = worker({
      kinesis: kinesisA,
      retry: { initialBackoffMs: 1, maxBackoffMs: 2, maxRoundsWithoutProgress: 1 },
    });
    const fromA = await receiveAndValidate(a, { visibilityTimeoutSeconds: 60 });
    expect(fromA.received.redelivered).toBe(0);
    await expect(runActivity(a.publishEvents, [{ batchId: fromA.received.batchId }])).rejects.toMatchObject({
      type: PUBLISH_STALLED,
    });
    expect(await readStream(kinesis, streamName)).toHaveLength(2);
    const receiptA = (await heldBatch(a, fromA.received.batchId)).messages.get(messageId)?.receiptHandle;
    a.hold.close();
    // Its visibility runs out (made immediate here), and a fresh submission arrives beside it.
    await sqs.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptA, VisibilityTimeout: 0 }),
    );
    const [fresh] = await sendBodies(sqs, queueUrl, [asBase64(validSubmission({ processes: 1, connections: 0 }))]);

    // Worker B receives it again, judges it again (a later time_created, the same event ids) and publishes.
    const b = worker();
    const fromB = await receiveAndValidate(b);
    expect(fromB.received).toMatchObject({ messages: 2, redelivered: 1 });
    const result = await runActivity(b.publishEvents, [{ batchId: fromB.received.batchId }]);

    expect(result).toMatchObject({ resumedEvents: 2, eventsPublished: 3, submissions: 2 });
    const records = await readStream(kinesis, streamName);
    const redelivered = bySequence(records.filter((r) => r.partitionKey === doc.device_id)).map(eventOf);
    expect(redelivered.map((e) => e.event_id)).toEqual([0, 1, 2, 3].map((i) => eventIdFor(messageId, i)));
    // Completed with the first delivery's processing time: one time_created for the whole submission.
    expect(new Set(redelivered.map((e) => e.time_created)).size).toBe(1);
    expect(records.filter((r) => eventOf(r).event_id === eventIdFor(fresh ?? '', 0))).toHaveLength(1);
    expect(records).toHaveLength(5);

    // Then deleted for good: the queue is empty.
    expect(await runActivity(b.deleteMessages, [{ batchIds: [fromB.received.batchId] }])).toMatchObject({ deleted: 2 });
    expect(await queueDepth(sqs, queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('a first delivery’s first publish attempt never reads the stream (what is there already is published anyway)', async () => {
    const [messageId] = await sendBodies(sqs, queueUrl, [asBase64(validSubmission({ processes: 2, connections: 0 }))]);
    const w = worker();
    const { received } = await receiveAndValidate(w);
    // An event with this message's first id already on the stream: only a redelivery or a retry would look for it.
    const [first] = (await heldRecords(w, received.batchId)).get(messageId ?? '') ?? [];
    await kinesis.send(
      new PutRecordsCommand({
        StreamName: streamName,
        Records: [{ Data: Buffer.from(first ?? ''), PartitionKey: 'p' }],
      }),
    );

    const result = await runActivity(w.publishEvents, [{ batchId: received.batchId }]);

    expect(result).toMatchObject({ eventsPublished: 2, resumedEvents: 0 });
    expect(await readStream(kinesis, streamName)).toHaveLength(3);
  });

  it('mayBeOnStreamSince: a retry from its first attempt, a redelivered message from its first receive', () => {
    const message = (receiveCount: number, firstReceivedAtMs: number | null) => ({
      message: { receiveCount, firstReceivedAtMs, receivedAtMs: 50_000_000 },
    });
    expect(mayBeOnStreamSince({}, [message(1, null)])).toBeUndefined();
    expect(mayBeOnStreamSince({ publishStartedAtMs: 7_000 }, [message(1, null)])).toBe(7_000);
    expect(mayBeOnStreamSince({}, [message(2, 3_000), message(1, null)])).toBe(3_000);
    expect(mayBeOnStreamSince({ publishStartedAtMs: 7_000 }, [message(3, 3_000)])).toBe(3_000);
    // Without SQS's first-receive time: as far back as a message can have been in flight (SQS's 12 hours).
    expect(mayBeOnStreamSince({}, [message(2, null)])).toBe(50_000_000 - 12 * 3600 * 1000);
  });

  it('fails non-retryably when the stream does not exist', async () => {
    await sendBodies(sqs, queueUrl, [asBase64(validSubmission({ processes: 1, connections: 0 }))]);
    const w = worker({ streamName: uniqueName('missing') });
    const { received } = await receiveAndValidate(w);
    const error = await runActivity(w.publishEvents, [{ batchId: received.batchId }]).catch((err: unknown) => err);
    expect(error).toMatchObject({ type: 'ResourceNotFoundException', nonRetryable: true });
  });

  it('fails non-retryably, typed BatchNotHeld, on a batch this worker does not hold', async () => {
    const w = worker();
    const error = await runActivity(w.publishEvents, [{ batchId: 'received-by-a-worker-now-gone' }]).catch(
      (err: unknown) => err,
    );
    expect(error).toMatchObject({ type: BATCH_NOT_HELD, nonRetryable: true });
  });

  it.each([
    ['held', 'keeps it hidden', true],
    ['let go', 'lets it reappear (control)', false],
  ])(
    'a batch %s for longer than its visibility timeout %s',
    async (_held, _outcome, keepHolding) => {
      await sendBodies(sqs, queueUrl, [asBase64(validSubmission({ processes: 1, connections: 0 }))]);
      const w = worker();
      const { received } = await receiveAndValidate(w, { visibilityTimeoutSeconds: 3, waitTimeSeconds: 0 });
      if (!keepHolding) w.hold.release(received.batchId);
      slowDownPutRecords(kinesis, 5_000);

      // 5 s after a 3 s visibility timeout: only the hold's lease keeps the message from being handed to someone else.
      const publishing = keepHolding ? runActivity(w.publishEvents, [{ batchId: received.batchId }]) : undefined;
      if (!publishing) await new Promise((resolve) => setTimeout(resolve, 5_000));
      await publishing;
      const again = await receive(worker(), { waitTimeSeconds: 0 });
      expect(again.messages).toBe(keepHolding ? 0 : 1);
    },
    20_000,
  );

  it('copies invalid submissions to the quarantine queue (body + reason) before deleting them', async () => {
    const quarantineUrl = await createTestQueue(sqs, uniqueName('quarantine'));
    try {
      // The third as the fleet sends it (base64): the copy holds it exactly as sent.
      const base64Body = asBase64({ submission_id: 'not-an-uuid' });
      await sendBodies(sqs, queueUrl, ['not json at all', '{"submission_id":"not-an-uuid"}', base64Body]);
      const w = worker({ quarantineQueueUrl: quarantineUrl });
      const { received, validated } = await receiveAndValidate(w);
      expect(validated).toMatchObject({ valid: 0, invalid: 3 });

      const result = await runActivity(w.dropInvalidSubmissions, [{ batchIds: [received.batchId] }]);

      expect(result).toMatchObject({ quarantined: 3, notQuarantined: 0, deleted: 3 });
      expect(await queueDepth(sqs, queueUrl)).toEqual({ visible: 0, inFlight: 0 });
      expect(w.hold.heldBatches).toBe(0);
      const reader = worker({ queueUrl: quarantineUrl });
      const copies = await receive(reader);
      expect(copies.messages).toBe(3);
      const records = [...(await heldBatch(reader, copies.batchId)).messages.values()].map(
        (m) => JSON.parse(m.body) as Record<string, unknown>,
      );
      expect(records.map((r) => r.body).sort()).toEqual(
        [base64Body, 'not json at all', '{"submission_id":"not-an-uuid"}'].sort(),
      );
      const samples = new Map(validated.invalidSamples.map((s) => [s.messageId, s.reason]));
      expect(records.every((r) => samples.get(String(r.original_message_id)) === r.reason)).toBe(true);
      expect(new Set(records.map((r) => r.original_message_id)).size).toBe(3);
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
      const w = worker({ queueUrl: redriveQueueUrl, streamName: uniqueName('missing') });
      // One ReceiveMessage per attempt and a visibility no scheduling stall outlasts: the message is received exactly
      // once per attempt, then handed back explicitly (visibility 0, as when its lease ends) instead of waiting for a
      // short timeout to lapse, which a loaded machine could stretch into a second receive within one attempt.
      const once = { receives: 1, visibilityTimeoutSeconds: 60, waitTimeSeconds: 5 };
      for (let attempt = 1; attempt <= 2; attempt++) {
        const { received } = await receiveAndValidate(w, once);
        expect(received).toMatchObject({ messages: 1, redelivered: attempt - 1 });
        const [held] = (await heldBatch(w, received.batchId)).messages.values();
        expect(held?.receiveCount).toBe(attempt);
        await expect(runActivity(w.publishEvents, [{ batchId: received.batchId }])).rejects.toMatchObject({
          type: 'ResourceNotFoundException',
        });
        // The run gives the batch up; its lease stops.
        w.hold.release(received.batchId);
        await sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: redriveQueueUrl,
            ReceiptHandle: held?.receiptHandle,
            VisibilityTimeout: 0,
          }),
        );
      }
      // Received maxReceiveCount times without a delete: the next receive moves it to the dead-letter queue.
      expect((await receive(w, once)).messages).toBe(0);
      const dead = await receive(worker({ queueUrl: dlqUrl }), once);
      expect(dead.messages).toBe(1);
    } finally {
      await deleteTestQueue(sqs, redriveQueueUrl);
      await deleteTestQueue(sqs, dlqUrl);
    }
  }, 60_000);

  it('deletes the published messages, checks every entry, and leaves the others held', async () => {
    await sendBodies(sqs, queueUrl, [
      asBase64(validSubmission({ processes: 1, connections: 0 })),
      asBase64(validSubmission({ processes: 1, connections: 0 })),
      'three',
    ]);
    const w = worker();
    const { received, validated } = await receiveAndValidate(w);
    expect(validated).toMatchObject({ valid: 2, invalid: 1 });
    await runActivity(w.publishEvents, [{ batchId: received.batchId }]);

    const result = await runActivity(w.deleteMessages, [{ batchIds: [received.batchId] }]);

    expect(result).toEqual({ notHeld: [], deleted: 2, retriedEntries: 0, staleReceipts: 0 });
    expect(await queueDepth(sqs, queueUrl)).toEqual({ visible: 0, inFlight: 1 });
    // The invalid one stays held (and leased) for the drop step.
    const left = [...(await heldBatch(w, received.batchId)).messages.values()];
    expect(left.map((m) => m.body)).toEqual(['three']);
    expect(w.hold.heldBytes).toBe(5);
  });
});
