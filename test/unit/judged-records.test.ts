import { KinesisClient, type PutRecordsInput } from '@aws-sdk/client-kinesis';
import type { Message } from '@aws-sdk/client-sqs';
import { createActivities } from '../../activities';
import { JudgedRecords } from '../../activities/judged-records';
import { recordsToPublish } from '../../activities/publish-records';
import type { PublishBodiesRequest, RecordDerivation } from '../../activities/types';
import { DEFAULT_VALIDATION_LIMITS } from '../../src/domain/limits';
import { stubbedSqs } from '../helpers/stub-sqs';
import { asBase64, brokenBodies, validSubmission } from '../helpers/submissions';
import { runActivity } from '../helpers/temporal';

const derivation: RecordDerivation = {
  processedAt: '2026-12-03T08:00:00.000Z',
  partitionKey: 'device_id',
  includeProvenance: false,
  unknownFields: 'accept',
  limits: DEFAULT_VALIDATION_LIMITS,
};

describe('JudgedRecords (records the receive step derived, for the publish on the same worker)', () => {
  it('hands out what was kept once, only for the same message and the same derivation', () => {
    const store = new JudgedRecords();
    store.keep('m1', derivation, { partitionKey: 'k', records: ['a', 'b'] });
    expect(store.take('m1', { ...derivation, processedAt: '2026-12-03T08:00:00.001Z' })).toBeUndefined();
    expect(store.take('m2', derivation)).toBeUndefined();
    // A derivation read back from history may lay its keys out differently: still the same derivation.
    const { processedAt, ...rest } = derivation;
    const limits = Object.fromEntries(
      Object.entries(DEFAULT_VALIDATION_LIMITS).reverse(),
    ) as RecordDerivation['limits'];
    const reordered: RecordDerivation = { ...rest, limits, processedAt };
    expect(store.take('m1', JSON.parse(JSON.stringify(reordered)) as RecordDerivation)).toEqual({
      partitionKey: 'k',
      records: ['a', 'b'],
    });
    expect(store.take('m1', derivation)).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('stays within its bound by dropping the oldest entries first', () => {
    const store = new JudgedRecords(10);
    store.keep('m1', derivation, { partitionKey: 'k', records: ['aaaa'] });
    store.keep('m2', derivation, { partitionKey: 'k', records: ['bbbb'] });
    store.keep('m3', derivation, { partitionKey: 'k', records: ['cccc'] });
    store.keep('huge', derivation, { partitionKey: 'k', records: ['x'.repeat(11)] });
    expect(store.take('m1', derivation)).toBeUndefined();
    expect(store.take('huge', derivation)).toBeUndefined();
    expect(store.take('m2', derivation)?.records).toEqual(['bbbb']);
    expect(store.take('m3', derivation)?.records).toEqual(['cccc']);
  });
});

describe('records kept by the receive step', () => {
  function sqsMessage(id: number, body: string): Message {
    return { MessageId: `m${id}`, ReceiptHandle: `rh${id}`, Body: body, Attributes: { ApproximateReceiveCount: '1' } };
  }

  function workerActivities(bodies: string[], judgedRecords: JudgedRecords) {
    const { sqs } = stubbedSqs('ReceiveMessageCommand', (_input, call) => ({
      Messages: call === 0 ? bodies.map((b, i) => sqsMessage(i, b)) : [],
      $metadata: {},
    }));
    const kinesis = new KinesisClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
    const sent: string[] = [];
    kinesis.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'PutRecordsCommand') return next(args);
        const records = (args.input as PutRecordsInput).Records ?? [];
        sent.push(...records.map((r) => Buffer.from(r.Data ?? new Uint8Array()).toString('utf8')));
        const output = { Records: records.map((_, i) => ({ SequenceNumber: String(i), ShardId: 's' })), $metadata: {} };
        return { output, response: {} };
      },
      { step: 'initialize', name: 'recordingKinesis' },
    );
    const activities = createActivities({
      sqs,
      kinesis,
      queueUrl: 'http://127.0.0.1:9/000000000000/q',
      streamName: 's',
      limits: DEFAULT_VALIDATION_LIMITS,
      judgedRecords,
    });
    return { activities, sent };
  }

  const receiveRequest = {
    receives: 1,
    maxNumberOfMessages: 10,
    visibilityTimeoutSeconds: 60,
    waitTimeSeconds: 0,
    byteBudget: 10_000_000,
    verdicts: true,
  };

  it('are those of the valid messages received, and the publish on this worker takes them (same records)', async () => {
    const judgedRecords = new JudgedRecords();
    const bodies = [asBase64(validSubmission({ processes: 2, connections: 1 })), brokenBodies.notJson()];
    const { activities, sent } = workerActivities(bodies, judgedRecords);

    const batch = await runActivity(activities.receiveSubmissions, [receiveRequest]);
    const { derivation: received } = batch;
    if (!received) throw new Error('a receive with verdicts returns its derivation');
    expect(judgedRecords.size).toBe(1);
    const [valid] = batch.messages;
    const input: PublishBodiesRequest = {
      submissions: [{ messageId: 'm0', body: valid?.body ?? '', bodyEncoding: 'base64', events: 3, sentAtMs: null }],
      derivation: received,
    };
    const derivedAgain = recordsToPublish(input);

    const result = await runActivity(activities.publishEvents, [input]);
    expect(result.eventsPublished).toBe(3);
    expect(judgedRecords.size).toBe(0);
    expect(sent).toEqual(derivedAgain.submissions[0]?.records);
  });

  it('are used as they are when the publish finds them, and derived again when their count is not the verdict', () => {
    const judgedRecords = new JudgedRecords();
    const body = JSON.stringify(validSubmission({ processes: 1, connections: 0 }));
    const input: PublishBodiesRequest = {
      submissions: [{ messageId: 'm0', body, events: 1, sentAtMs: null }],
      derivation,
    };
    // Marked records, to tell kept from derived ones apart.
    judgedRecords.keep('m0', derivation, { partitionKey: 'kept', records: ['kept-record'] });
    expect(recordsToPublish(input, judgedRecords).submissions[0]).toMatchObject({ records: ['kept-record'] });
    judgedRecords.keep('m0', derivation, { partitionKey: 'kept', records: ['one', 'two'] });
    expect(recordsToPublish(input, judgedRecords).submissions[0]?.records).toEqual(
      recordsToPublish(input).submissions[0]?.records,
    );
  });
});
