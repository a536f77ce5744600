import type { Message, ReceiveMessageRequest } from '@aws-sdk/client-sqs';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { encodedBytes } from '../../activities/payload-cost';
import type { PublishBodiesRequest } from '../../activities/types';
import { originalBody } from '../../src/domain/decode-body';
import { DEFAULT_VALIDATION_LIMITS } from '../../src/domain/limits';
import { generateSubmissions } from '../../tools/fleet/generate';
import { activitiesOverSqs, stubbedSqs } from '../helpers/stub-sqs';
import { asBase64, validSubmission } from '../helpers/submissions';
import { runActivity } from '../helpers/temporal';

const messages = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({
    MessageId: `m${from + i}`,
    ReceiptHandle: `rh${from + i}`,
    Body: '{}',
    Attributes: { SentTimestamp: '1700000000000', ApproximateReceiveCount: '1' },
  }));

const request = {
  receives: 3,
  maxNumberOfMessages: 10,
  visibilityTimeoutSeconds: 60,
  waitTimeSeconds: 0,
  byteBudget: 524_288,
};

/**
 * 1,000-event submissions as the fleet sends them near the limit (base64, escape-heavy command lines): each costs
 * ~95 KB as it travels (its decoded text, escaped by the payload converter), more than half of `largeBudget`.
 */
const largeBodies = generateSubmissions(
  { seed: 7, devices: 3, brokenShare: 0, eventsMin: 1, eventsMax: 1, plainJsonShare: 0, startTimeMs: 0, largeShare: 1 },
  12,
).map((p) => p.body);

const largeBudget = 150_000;

function sqsMessage(id: number, body: string, receiveCount: number): Message {
  return {
    MessageId: `m${id}`,
    ReceiptHandle: `rh${id}-${receiveCount}`,
    Body: body,
    Attributes: { SentTimestamp: '1700000000000', ApproximateReceiveCount: String(receiveCount) },
  };
}

/** Records every ChangeMessageVisibilityBatch entry (a release) instead of sending it. */
function recordReleases(sqs: SQSClient): string[] {
  const released: string[] = [];
  sqs.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'ChangeMessageVisibilityBatchCommand') return next(args);
      const input = args.input as { Entries?: { Id?: string; ReceiptHandle?: string }[] };
      released.push(...(input.Entries ?? []).map((e) => e.ReceiptHandle ?? ''));
      return { output: { Successful: [], Failed: [], $metadata: {} }, response: {} };
    },
    { step: 'initialize', name: 'recordReleases' },
  );
  return released;
}

// fauxqs never fails a ReceiveMessage, so the mid-batch failure is staged with a stubbed client.
describe('receiveSubmissions', () => {
  it('keeps the messages of earlier requests when a later ReceiveMessage fails', async () => {
    const { sqs, calls } = stubbedSqs('ReceiveMessageCommand', (input, call) => {
      expect((input as ReceiveMessageRequest).MaxNumberOfMessages).toBe(10);
      if (call === 0) return { Messages: messages(0, 10), $metadata: {} };
      throw Object.assign(new Error('We encountered an internal error'), { name: 'InternalError', $fault: 'server' });
    });
    const batch = await runActivity(activitiesOverSqs(sqs).receiveSubmissions, [request]);
    expect(batch.messages.map((m) => m.messageId)).toEqual(messages(0, 10).map((m) => m.MessageId));
    expect(calls()).toBe(2);
    // The 12-hour visibility cap counts from the receive: every message carries when it was asked for.
    const before = Date.now() - 60_000;
    expect(batch.messages.every((m) => (m.receivedAtMs ?? 0) > before)).toBe(true);
  });

  it('fails the attempt when the first ReceiveMessage fails (nothing is held, so nothing is hidden)', async () => {
    const { sqs } = stubbedSqs('ReceiveMessageCommand', () => {
      throw Object.assign(new Error('Rate exceeded'), { name: 'RequestThrottled', $fault: 'client' });
    });
    await expect(runActivity(activitiesOverSqs(sqs).receiveSubmissions, [request])).rejects.toThrow(/Rate exceeded/);
  });

  it('asks only for what the budget left can hold, so large submissions are not received just to be handed back', async () => {
    const asked: number[] = [];
    let next = 0;
    const { sqs } = stubbedSqs('ReceiveMessageCommand', (input) => {
      const wanted = (input as ReceiveMessageRequest).MaxNumberOfMessages ?? 1;
      asked.push(wanted);
      const answer = Array.from({ length: Math.min(wanted, 1) }, () => sqsMessage(next, largeBodies[next++] ?? '', 1));
      return { Messages: answer, $metadata: {} };
    });
    const released = recordReleases(sqs);
    const batch = await runActivity(activitiesOverSqs(sqs).receiveSubmissions, [
      { ...request, byteBudget: largeBudget },
    ]);
    // One 1,000-event submission costs more than half of the budget: after it, no request could bring one that fits.
    expect(batch.messages).toHaveLength(1);
    expect(asked).toEqual([10]);
    expect(released).toEqual([]);
    expect(batch.releasedOverBudget).toBe(0);
  });

  it('hands a message over the budget back only on its first receive; one received before is kept, in a batch of its own', async () => {
    const { sqs } = stubbedSqs('ReceiveMessageCommand', (_input, call) => ({
      Messages: call === 0 ? [0, 1, 2, 3].map((i) => sqsMessage(i, largeBodies[i] ?? '', i < 2 ? 1 : 2)) : [],
      $metadata: {},
    }));
    const released = recordReleases(sqs);
    const batch = await runActivity(activitiesOverSqs(sqs).receiveSubmissions, [
      { ...request, byteBudget: largeBudget },
    ]);
    expect(batch.messages.map((m) => m.messageId)).toEqual(['m0']);
    // m1 is on its first receive: handed back once, and its next receive is not a first one.
    expect(released).toEqual(['rh1-1']);
    expect(batch.releasedOverBudget).toBe(1);
    // m2 and m3 were received before: never released again, each kept for a batch of its own (both do not fit one).
    expect(batch.deferred?.map((g) => g.messages.map((m) => m.messageId))).toEqual([['m2'], ['m3']]);
    for (const group of batch.deferred ?? []) expect(group.payloadBytes).toBeGreaterThan(largeBudget / 2);
  });

  it('budgets by the bytes Temporal stores: bodies as they travel, receipts and lease entries, with the run options', async () => {
    // Escape-heavy events: every quote and backslash of the decoded text is escaped by the payload converter.
    const doc = validSubmission({ processes: 200, connections: 0 });
    doc.events.new_process = doc.events.new_process.map(() => ({ cmdl: 'cmd "\\\\"'.repeat(30), user: '"u"' }));
    const bodies = Array.from({ length: 10 }, () => asBase64({ ...doc, submission_id: crypto.randomUUID() }));
    const activitiesAnswering = () => {
      const { sqs } = stubbedSqs('ReceiveMessageCommand', (_input, call) => ({
        Messages: call === 0 ? bodies.map((b, i) => sqsMessage(i, b, 1)) : [],
        $metadata: {},
      }));
      recordReleases(sqs);
      return activitiesOverSqs(sqs);
    };
    const activities = activitiesAnswering();
    const receive = (includeProvenance: boolean) =>
      runActivity(activitiesAnswering().receiveSubmissions, [
        { ...request, byteBudget: 10_000_000, includeProvenance, partitionKey: 'submission_id' as const },
      ]);

    for (const includeProvenance of [false, true]) {
      const batch = await receive(includeProvenance);
      expect(batch.messages).toHaveLength(10);
      // The base64 bodies travel as their text, which gives back the body exactly.
      expect(batch.messages.map((m) => m.bodyEncoding)).toEqual(bodies.map(() => 'base64'));
      expect(batch.messages.map((m) => originalBody(m.body ?? '', m.bodyEncoding))).toEqual(bodies);
      const transformed = await runActivity(activities.validateAndTransform, [
        { messages: batch.messages, partitionKey: 'submission_id', includeProvenance },
      ]);
      expect(transformed.valid).toHaveLength(10);
      const publishInput: PublishBodiesRequest = {
        submissions: transformed.valid.map(({ messageId, events }) => {
          const message = batch.messages.find((m) => m.messageId === messageId);
          return { messageId, body: message?.body ?? '', bodyEncoding: 'base64', events, sentAtMs: 1700000000000 };
        }),
        derivation: transformed.derivation,
        lease: {
          messages: batch.messages.map(({ messageId, receiptHandle, receivedAtMs }) => ({
            messageId,
            receiptHandle,
            receivedAtMs,
          })),
          visibilityTimeoutSeconds: 60,
        },
      };
      // The records are not in the validate result: it is a small fraction of the bodies.
      expect(encodedBytes(transformed)).toBeLessThan(0.05 * encodedBytes(batch));
      // The budgeted cost covers every payload the batch produces, envelope aside (the derivation is part of it).
      const envelope = 400;
      expect(encodedBytes(batch)).toBeLessThanOrEqual((batch.payloadBytes ?? 0) + envelope);
      expect(encodedBytes(transformed)).toBeLessThanOrEqual((batch.payloadBytes ?? 0) + envelope);
      expect(encodedBytes(publishInput)).toBeLessThanOrEqual((batch.payloadBytes ?? 0) + envelope);
      // ... and not by much: the publish input, the largest payload, is within 10 % of the budgeted cost.
      expect(encodedBytes(publishInput)).toBeGreaterThan(0.9 * (batch.payloadBytes ?? 0));
    }
  });
});

describe('receiveSubmissions judges body size by the run, not by the worker', () => {
  it("nulls a body over the run's maxBodyBytes even when the worker's own limit is higher", async () => {
    const body = asBase64(validSubmission({ processes: 3, connections: 3 }));
    const { sqs } = stubbedSqs('ReceiveMessageCommand', (_input, call) =>
      call === 0 ? { Messages: [sqsMessage(1, body, 1)], $metadata: {} } : { Messages: [], $metadata: {} },
    );
    const limits = { ...DEFAULT_VALIDATION_LIMITS, maxBodyBytes: 100 };
    const strict = await runActivity(activitiesOverSqs(sqs).receiveSubmissions, [{ ...request, limits }]);
    expect(strict.messages.map((m) => [m.body, m.bodyBytes])).toEqual([[null, Buffer.byteLength(body)]]);
  });

  it("keeps the body when the run's limit allows it (the worker's default applies without one)", async () => {
    const body = asBase64(validSubmission({ processes: 3, connections: 3 }));
    const { sqs } = stubbedSqs('ReceiveMessageCommand', (_input, call) =>
      call === 0 ? { Messages: [sqsMessage(1, body, 1)], $metadata: {} } : { Messages: [], $metadata: {} },
    );
    const batch = await runActivity(activitiesOverSqs(sqs).receiveSubmissions, [request]);
    expect(batch.messages.map((m) => originalBody(m.body ?? '', m.bodyEncoding))).toEqual([body]);
  });
});
