import { KinesisClient, type PutRecordsInput } from '@aws-sdk/client-kinesis';
import { ApplicationFailure } from '@temporalio/common';
import { createPublishEvents } from '../../activities/publish-events';
import { RECORD_DERIVATION_MISMATCH, recordsToPublish } from '../../activities/publish-records';
import type { PublishBodiesRequest, PublishRequest, TransformRequest } from '../../activities/types';
import { createValidateAndTransform } from '../../activities/validate-and-transform';
import { bodyForTransit } from '../../src/domain/decode-body';
import { DEFAULT_VALIDATION_LIMITS } from '../../src/domain/limits';
import { transformSubmission } from '../../src/domain/transform-submission';
import { stubbedSqs } from '../helpers/stub-sqs';
import { asBase64, validSubmission } from '../helpers/submissions';
import { runActivity } from '../helpers/temporal';

/**
 * Records no longer travel through history: the validate step returns verdicts and the batch's derivation, the
 * publish step derives the records from the bodies. They must be exactly the records the validate step produced
 * (same event ids, same time_created), inputs scheduled by older code must still work, and a body that does not
 * derive its verdict must fail the publish before anything is sent.
 */
const processedAt = new Date('2026-12-02T09:00:00.123Z');
const validate = createValidateAndTransform({ limits: DEFAULT_VALIDATION_LIMITS, now: () => processedAt });

/** A real KinesisClient that records every PutRecords instead of sending it, and acknowledges every entry. */
function recordingKinesis(): { kinesis: KinesisClient; sent: string[] } {
  const kinesis = new KinesisClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
  const sent: string[] = [];
  kinesis.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'PutRecordsCommand') return next(args);
      const input = args.input as PutRecordsInput;
      const records = input.Records ?? [];
      sent.push(...records.map((r) => Buffer.from(r.Data ?? new Uint8Array()).toString('utf8')));
      const output = { Records: records.map((_, i) => ({ SequenceNumber: String(i), ShardId: 's' })), $metadata: {} };
      return { output, response: {} };
    },
    { step: 'initialize', name: 'recordingKinesis' },
  );
  return { kinesis, sent };
}

function publishActivity(kinesis: KinesisClient) {
  return createPublishEvents({
    sqs: stubbedSqs('none', () => ({ $metadata: {} })).sqs,
    kinesis,
    queueUrl: 'http://127.0.0.1:9/000000000000/q',
    streamName: 's',
    limits: DEFAULT_VALIDATION_LIMITS,
  });
}

const docs = [validSubmission({ processes: 2, connections: 3 }), validSubmission({ processes: 1, connections: 0 })];
const sqsBodies = [asBase64(docs[0]), JSON.stringify(docs[1])];

function validateRequest(bodies: { body: string; bodyEncoding?: 'base64' }[]): TransformRequest {
  return {
    messages: bodies.map((b, i) => ({ messageId: `m${i}`, ...b, bodyBytes: Buffer.byteLength(sqsBodies[i] ?? '') })),
    partitionKey: 'device_id',
    includeProvenance: true,
  };
}

function publishInput(
  bodies: { body: string; bodyEncoding?: 'base64' }[],
  derivation: PublishBodiesRequest['derivation'],
  events: number[],
): PublishBodiesRequest {
  return {
    submissions: bodies.map((b, i) => ({ messageId: `m${i}`, ...b, events: events[i] ?? 0, sentAtMs: null })),
    derivation,
  };
}

/** The records the validate step of older code returned (and the publish input it scheduled carried). */
const recordsAsBefore = (): PublishRequest => ({
  submissions: sqsBodies.map((body, i) => {
    const result = transformSubmission(body, {
      messageId: `m${i}`,
      processedAt,
      includeProvenance: true,
      partitionKeyField: 'device_id',
    });
    if (!result.valid) throw new Error('sample must be valid');
    return { messageId: `m${i}`, partitionKey: result.partitionKey, records: result.records, sentAtMs: null };
  }),
});

describe('records derived by the publish step', () => {
  const transit = sqsBodies.map((body) => bodyForTransit(body));

  it('are exactly the records the validate step produced before (event ids, time_created, partition key)', async () => {
    expect(transit.map((t) => t.bodyEncoding)).toEqual(['base64', undefined]);
    const verdicts = await runActivity(validate, [validateRequest(transit)]);
    expect(verdicts.valid).toEqual([
      { messageId: 'm0', events: 5 },
      { messageId: 'm1', events: 1 },
    ]);
    expect(verdicts.derivation.processedAt).toBe(processedAt.toISOString());
    const derived = recordsToPublish(publishInput(transit, verdicts.derivation, [5, 1]));
    expect(derived).toEqual(recordsAsBefore());
  });

  it('judges a validate input of older code (raw base64 bodies, no bodyEncoding) exactly as the new form', async () => {
    const old = await runActivity(validate, [validateRequest(sqsBodies.map((body) => ({ body })))]);
    const now = await runActivity(validate, [validateRequest(transit)]);
    expect(old).toEqual(now);
  });

  it('judges a body travelling as its text by the body as delivered (its size limit counts the base64)', async () => {
    const [first] = transit;
    if (!first) throw new Error('sample missing');
    const limits = { ...DEFAULT_VALIDATION_LIMITS, maxBodyBytes: Buffer.byteLength(first.body) + 1 };
    const verdicts = await runActivity(validate, [{ ...validateRequest([first]), limits }]);
    expect(verdicts.invalid.map((m) => m.reason)).toEqual(['body_too_large']);
  });

  it('publishes a publish input of older code (records in it) as it is', async () => {
    const { kinesis, sent } = recordingKinesis();
    const result = await runActivity(publishActivity(kinesis), [recordsAsBefore()]);
    expect(result.eventsPublished).toBe(6);
    expect(sent.sort()).toEqual(
      recordsAsBefore()
        .submissions.flatMap((s) => s.records)
        .sort(),
    );
  });

  it('publishes the derived records of a bodies input', async () => {
    const { kinesis, sent } = recordingKinesis();
    const verdicts = await runActivity(validate, [validateRequest(transit)]);
    const result = await runActivity(publishActivity(kinesis), [publishInput(transit, verdicts.derivation, [5, 1])]);
    expect(result.eventsPublished).toBe(6);
    expect(sent.sort()).toEqual(
      recordsAsBefore()
        .submissions.flatMap((s) => s.records)
        .sort(),
    );
  });

  it.each([
    ['a body that no longer validates', [{ body: '{"submission_id":"x"}' }], [5, 1]],
    ['an event count other than the verdict', [], [5, 2]],
  ])('fail non-retryably, before anything is sent, on %s', async (_case, replaced, events) => {
    const { kinesis, sent } = recordingKinesis();
    const verdicts = await runActivity(validate, [validateRequest(transit)]);
    // The second submission is the broken one; the first is fine and must not be published either.
    const bodies = [transit[0] ?? { body: '' }, replaced[0] ?? transit[1] ?? { body: '' }];
    const error = await runActivity(publishActivity(kinesis), [
      publishInput(bodies, verdicts.derivation, events),
    ]).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ApplicationFailure);
    const message = error instanceof Error ? error.message : '';
    expect(error).toMatchObject({ type: RECORD_DERIVATION_MISMATCH, nonRetryable: true });
    // Names the message, never quotes the body (failure messages are stored unencrypted).
    expect(message).toContain('message m1 ');
    expect(message).not.toContain('submission_id');
    expect(sent).toEqual([]);
  });
});
