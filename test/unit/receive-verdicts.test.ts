import { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Message } from '@aws-sdk/client-sqs';
import { createActivities } from '../../activities';
import { JudgedRecords } from '../../activities/judged-records';
import { defaultPayloadConverter } from '@temporalio/common';
import fc from 'fast-check';
import { judgeMessage } from '../../activities/judge-submission';
import { encodedBytes, messagePayloadCost } from '../../activities/payload-cost';
import type { ReceivedMessage, RecordDerivation } from '../../activities/types';
import { DEFAULT_VALIDATION_LIMITS } from '../../src/domain/limits';
import { activitiesOverSqs, stubbedSqs } from '../helpers/stub-sqs';
import { asBase64, brokenBodies, validSubmission } from '../helpers/submissions';
import { runActivity } from '../helpers/temporal';

const request = {
  receives: 1,
  maxNumberOfMessages: 10,
  visibilityTimeoutSeconds: 60,
  waitTimeSeconds: 0,
  byteBudget: 10_000_000,
};

function sqsMessage(id: number, body: string): Message {
  return {
    MessageId: `m${id}`,
    ReceiptHandle: `rh${id}`,
    Body: body,
    Attributes: { SentTimestamp: '1700000000000', ApproximateReceiveCount: '1' },
  };
}

function receiveAnswering(bodies: string[]) {
  const { sqs } = stubbedSqs('ReceiveMessageCommand', (_input, call) => ({
    Messages: call === 0 ? bodies.map((b, i) => sqsMessage(i, b)) : [],
    $metadata: {},
  }));
  return activitiesOverSqs(sqs).receiveSubmissions;
}

const withUnknownField = () => asBase64({ ...validSubmission({ processes: 1, connections: 1 }), sensor_build: '7' });

describe('receiveSubmissions with verdicts (no separate validate step)', () => {
  const bodies = [
    asBase64(validSubmission({ processes: 2, connections: 3 })),
    brokenBodies.badSubmissionId(),
    withUnknownField(),
    brokenBodies.notJson(),
  ];

  it("judges every message kept under the run's settings and returns the derivation it used", async () => {
    const batch = await runActivity(receiveAnswering(bodies), [
      { ...request, verdicts: true, unknownFields: 'accept' as const, partitionKey: 'submission_id' as const },
    ]);

    const verdicts = batch.messages.map((m) => m.verdict);
    expect(verdicts.map((v) => (v?.valid ? { events: v.events, unknown: v.unknownFields } : v?.reason))).toEqual([
      { events: 5, unknown: undefined },
      'invalid_uuid',
      { events: 2, unknown: ['sensor_build'] },
      'undecodable_body',
    ]);
    // An invalid verdict says why, as the validate step did (bounded, for the run summary and quarantine copy).
    for (const v of verdicts) if (v && !v.valid) expect(v.detail.length).toBeGreaterThan(0);
    expect(batch.derivation).toMatchObject({
      partitionKey: 'submission_id',
      includeProvenance: false,
      unknownFields: 'accept',
      limits: DEFAULT_VALIDATION_LIMITS,
    });
    expect(Number.isNaN(Date.parse(batch.derivation?.processedAt ?? ''))).toBe(false);
  });

  it("rejects unknown fields when the run's policy says so", async () => {
    const batch = await runActivity(receiveAnswering([withUnknownField()]), [
      { ...request, verdicts: true, unknownFields: 'reject' as const },
    ]);
    expect(batch.messages[0]?.verdict).toMatchObject({ valid: false, reason: 'unknown_field' });
  });

  it('returns messages only when the workflow did not ask (runs of older code validate separately)', async () => {
    const batch = await runActivity(receiveAnswering(bodies), [request]);
    expect(batch.messages).toHaveLength(4);
    expect(batch.messages.every((m) => m.verdict === undefined)).toBe(true);
    expect(batch.derivation).toBeUndefined();
  });

  it('budgets the verdicts too: the receive result stays within the batch cost', async () => {
    // Invalid messages carry a detail in their verdict; valid ones with unknown fields carry the paths.
    const many = Array.from({ length: 10 }, (_, i) =>
      i % 3 === 0 ? brokenBodies.badDestinationIp() : i % 3 === 1 ? withUnknownField() : brokenBodies.notJson(),
    );
    const batch = await runActivity(receiveAnswering(many), [{ ...request, verdicts: true }]);
    const envelope = 400;
    expect(batch.messages.every((m) => m.verdict !== undefined)).toBe(true);
    expect(encodedBytes(batch)).toBeLessThanOrEqual((batch.payloadBytes ?? 0) + envelope);
  });
});

describe('the processing time of a receive with verdicts', () => {
  it('is taken once receiving ended: a message that arrives late in a long poll is never processed before it was sent', async () => {
    let clockMs = Date.parse('2026-12-03T08:00:00.000Z');
    const sentAtMs = clockMs + 15_000;
    const { sqs } = stubbedSqs('ReceiveMessageCommand', (_input, call) => {
      if (call > 0) return { Messages: [], $metadata: {} };
      // The long poll waits 15 s; the submission is sent and received at its end.
      clockMs = sentAtMs + 5;
      const message = sqsMessage(0, asBase64(validSubmission({ processes: 1, connections: 1 })));
      return { Messages: [{ ...message, Attributes: { SentTimestamp: String(sentAtMs) } }], $metadata: {} };
    });
    const judgedRecords = new JudgedRecords();
    const { receiveSubmissions } = createActivities({
      sqs,
      kinesis: new KinesisClient({ region: 'us-east-1' }),
      queueUrl: 'http://127.0.0.1:9/000000000000/q',
      streamName: 's',
      limits: DEFAULT_VALIDATION_LIMITS,
      now: () => new Date(clockMs),
      judgedRecords,
    });

    const batch = await runActivity(receiveSubmissions, [{ ...request, waitTimeSeconds: 20, verdicts: true }]);

    const { derivation } = batch;
    if (!derivation) throw new Error('a receive with verdicts returns its derivation');
    expect(Date.parse(derivation.processedAt)).toBeGreaterThanOrEqual(sentAtMs);
    const kept = judgedRecords.take('m0', derivation);
    expect(kept?.records).toHaveLength(2);
    for (const record of kept?.records ?? []) {
      expect((JSON.parse(record) as { time_created: string }).time_created).toBe(derivation.processedAt);
    }
  });
});

describe('encodedBytes', () => {
  it("counts exactly the bytes of Temporal's JSON payload converter", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'binary' }), (value, text) => {
        for (const v of [value, text, { body: text, nested: [value] }]) {
          expect(encodedBytes(v)).toBe(defaultPayloadConverter.toPayload(v)?.data?.length ?? 0);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('messagePayloadCost', () => {
  const derivation: RecordDerivation = {
    processedAt: new Date(0).toISOString(),
    partitionKey: 'device_id',
    includeProvenance: true,
    unknownFields: 'accept',
    limits: DEFAULT_VALIDATION_LIMITS,
  };

  // The cost encodes the body once and every entry without it; it must equal encoding each entry whole.
  it('equals the largest entry encoded whole, for any command line (escapes, unicode, quotes)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.boolean(), (cmdl, base64) => {
        const doc = validSubmission({ processes: 2, connections: 1 });
        doc.events.new_process = doc.events.new_process.map((p) => ({ ...p, cmdl }));
        const text = JSON.stringify(doc);
        const message: ReceivedMessage = {
          messageId: 'm1',
          receiptHandle: 'rh "1" \\',
          body: text,
          ...(base64 ? { bodyEncoding: 'base64' as const } : {}),
          bodyBytes: Buffer.byteLength(text),
          sentAtMs: 1,
          receiveCount: 1,
          receivedAtMs: 2,
        };
        const judged = judgeMessage(message, derivation);
        if (!judged.valid) return;
        const { messageId, receiptHandle, body, bodyEncoding, sentAtMs, receivedAtMs } = message;
        const publishEntry = encodedBytes({
          messageId,
          body,
          ...(bodyEncoding ? { bodyEncoding } : {}),
          events: judged.records.length,
          sentAtMs,
        });
        const leaseEntry = encodedBytes({ messageId, receiptHandle, receivedAtMs });
        const expected = Math.max(encodedBytes(message) + 1, publishEntry + 1 + leaseEntry + 1);
        expect(messagePayloadCost(message, judged)).toBe(expected);
      }),
      { numRuns: 200 },
    );
  });
});
