import type { ReceiveMessageRequest } from '@aws-sdk/client-sqs';
import { activitiesOverSqs, stubbedSqs } from '../helpers/stub-sqs';
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
});
