import type { Message, ReceiveMessageRequest } from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MessageHold } from '../../activities';
import type { HeldMessage } from '../../activities/message-hold';
import { gatherWaitMs, RECEIVE_RETURN_MARGIN_MS } from '../../activities/receive-submissions';
import { activitiesOverSqs, stubbedSqs } from '../helpers/stub-sqs';
import { asBase64, validSubmission } from '../helpers/submissions';
import { quietActivityEnvironment, runActivity } from '../helpers/temporal';

const messages = (from: number, count: number, attributes: Record<string, string> = {}): Message[] =>
  Array.from({ length: count }, (_, i) => ({
    MessageId: `m${from + i}`,
    ReceiptHandle: `rh${from + i}`,
    Body: asBase64(validSubmission({ processes: 1, connections: 0 })),
    Attributes: { SentTimestamp: '1700000000000', ApproximateReceiveCount: '1', ...attributes },
  }));

const request = { receives: 3, maxNumberOfMessages: 10, visibilityTimeoutSeconds: 60, waitTimeSeconds: 0 };

const holds: MessageHold[] = [];
afterEach(() => holds.splice(0).forEach((hold) => hold.close()));

/** The real activities over a stubbed ReceiveMessage; `answers[i]` answers the i-th request. */
function receiving(answer: (input: ReceiveMessageRequest, call: number) => Message[] | Promise<Message[]>) {
  const asked: ReceiveMessageRequest[] = [];
  const { sqs } = stubbedSqs('ReceiveMessageCommand', async (input, call) => {
    asked.push(input as ReceiveMessageRequest);
    return { Messages: await answer(input as ReceiveMessageRequest, call), $metadata: {} };
  });
  const activities = activitiesOverSqs(sqs);
  holds.push(activities.hold);
  return { activities, asked };
}

/** The receive's own timeout in production (workflows/activity-proxies.ts). */
const attempt = () => quietActivityEnvironment({ startToCloseTimeoutMs: 60_000 });

describe('receiveSubmissions', () => {
  it('holds the batch on this worker and returns its reference and size, never a body', async () => {
    const { activities } = receiving((_, call) => (call === 0 ? messages(0, 3) : []));

    const batch = await runActivity(activities.receiveSubmissions, [request], attempt());

    expect(batch).toMatchObject({ messages: 3, redelivered: 0, taskQueue: 'test' });
    expect(Object.keys(batch).sort()).toEqual(['batchId', 'bodyBytes', 'messages', 'redelivered', 'taskQueue']);
    expect(batch.bodyBytes).toBeGreaterThan(0);
    expect(activities.hold.heldBatches).toBe(1);
    expect(activities.hold.heldBytes).toBe(batch.bodyBytes);
  });

  it('grows a batch while answers come back full, and stops at the first one that is not', async () => {
    const { activities, asked } = receiving((_, call) => (call < 2 ? messages(call * 10, 10) : messages(20, 4)));

    const batch = await runActivity(
      activities.receiveSubmissions,
      [{ ...request, receives: 10, waitTimeSeconds: 20 }],
      attempt(),
    );

    expect(batch.messages).toBe(24);
    expect(asked).toHaveLength(3);
    // Only the first request long-polls: a lone submission is not held back for a fuller batch.
    expect(asked.map((a) => a.WaitTimeSeconds)).toEqual([20, 0, 0]);
  });

  it('gathers a trickle: after a first answer that is not full it waits gatherMs once and asks again', async () => {
    const answeredAt: number[] = [];
    const { activities, asked } = receiving((_, call) => {
      answeredAt.push(Date.now());
      const justSent = { SentTimestamp: String(Date.now()) };
      return call === 0 ? messages(0, 1, justSent) : messages(10 * call, 2, justSent);
    });

    const batch = await runActivity(
      activities.receiveSubmissions,
      [{ ...request, receives: 10, waitTimeSeconds: 20, gatherMs: 150 }],
      attempt(),
    );

    // One wait: the answer after it is not full either, and the batch is returned (1 + 2 messages).
    expect(batch.messages).toBe(3);
    expect(asked.map((a) => a.WaitTimeSeconds)).toEqual([20, 0]);
    expect((answeredAt[1] ?? 0) - (answeredAt[0] ?? 0)).toBeGreaterThanOrEqual(140);
  });

  it('gathers until the oldest message held was sent gatherMs ago, within [0, gatherMs] and the deadline', () => {
    const sent = (sentAtMs: number | null) => ({ sentAtMs }) as HeldMessage;
    expect(gatherWaitMs(500, [sent(10_000)], 10_000, 60_000)).toBe(500);
    // It waited 300 ms in the queue already (its lane was busy): only the rest.
    expect(gatherWaitMs(500, [sent(10_000), sent(9_700)], 10_000, 60_000)).toBe(200);
    expect(gatherWaitMs(500, [sent(9_000)], 10_000, 60_000)).toBe(0);
    // A worker clock behind SQS's, a missing SentTimestamp, a near deadline.
    expect(gatherWaitMs(500, [sent(12_000)], 10_000, 60_000)).toBe(500);
    expect(gatherWaitMs(500, [sent(null)], 10_000, 60_000)).toBe(500);
    expect(gatherWaitMs(500, [sent(10_000)], 10_000, 10_100)).toBe(100);
  });

  it('does not gather when the first answer is full, or when it is empty', async () => {
    const backlog = receiving((_, call) => (call === 0 ? messages(0, 10) : messages(10, 3)));
    const full = await runActivity(
      backlog.activities.receiveSubmissions,
      [{ ...request, receives: 10, gatherMs: 5_000 }],
      attempt(),
    );
    // 13 held, more than one full answer's worth: the batch goes as it is, without the 5 s wait (the test's timeout).
    expect(full.messages).toBe(13);
    expect(backlog.asked).toHaveLength(2);

    const idle = receiving(() => []);
    const empty = await runActivity(
      idle.activities.receiveSubmissions,
      [{ ...request, receives: 10, gatherMs: 5_000 }],
      attempt(),
    );
    expect(empty.messages).toBe(0);
    expect(idle.asked).toHaveLength(1);
  });

  it('keeps the messages of earlier requests when a later ReceiveMessage fails', async () => {
    const { activities } = receiving((_, call) => {
      if (call === 0) return messages(0, 10);
      throw new Error('SQS unavailable');
    });

    const batch = await runActivity(activities.receiveSubmissions, [request], attempt());

    expect(batch.messages).toBe(10);
  });

  it('fails the attempt when the first ReceiveMessage fails (nothing is held, so nothing is hidden)', async () => {
    const { activities } = receiving(() => {
      throw new Error('SQS unavailable');
    });

    await expect(runActivity(activities.receiveSubmissions, [request], attempt())).rejects.toThrow(/SQS unavailable/);
    expect(activities.hold.heldBatches).toBe(0);
  });

  it('stops asking while time is left to return what it received (slow SQS answers)', async () => {
    // A 12 s attempt: 2 s to ask in after the 10 s margin. Every answer after the first takes 3 s: the receive asks
    // once more within those 2 s, then returns what it holds instead of asking up to 50 times (150 s).
    const startToCloseTimeoutMs = RECEIVE_RETURN_MARGIN_MS + 2_000;
    const { activities, asked } = receiving(async (_, call) => {
      if (call > 0) await sleep(3_000);
      return messages(call * 10, 10);
    });
    const env = quietActivityEnvironment({ startToCloseTimeoutMs });

    const batch = await runActivity(activities.receiveSubmissions, [{ ...request, receives: 50 }], env);

    expect(asked).toHaveLength(2);
    expect(batch.messages).toBeGreaterThanOrEqual(10);
  }, 20_000);

  it('receives nothing while the hold is full, and says so (not an empty queue)', async () => {
    const { activities, asked } = receiving(() => messages(0, 10));
    const { hold } = activities;
    // Fill the hold to its limit with one held batch.
    hold.hold(
      [
        {
          messageId: 'big',
          receiptHandle: 'rh-big',
          receivedAtMs: Date.now(),
          identityId: 'big',
          body: '',
          bodyBytes: hold.room,
          sentAtMs: null,
          receiveCount: 1,
          firstReceivedAtMs: null,
        },
      ],
      60,
    );

    const batch = await runActivity(activities.receiveSubmissions, [{ ...request, waitTimeSeconds: 1 }], attempt());

    expect(batch).toMatchObject({ messages: 0, holdFull: true });
    expect(asked).toHaveLength(0);
  });

  it("seeds event ids with a redriven message's OriginalMessageId, and counts redeliveries", async () => {
    const { activities } = receiving((input, call) => {
      expect(input.MessageAttributeNames).toContain('OriginalMessageId');
      expect(input.MessageSystemAttributeNames).toContain('ApproximateFirstReceiveTimestamp');
      if (call > 0) return [];
      const [redriven, again] = messages(0, 2);
      return [
        { ...redriven, MessageAttributes: { OriginalMessageId: { DataType: 'String', StringValue: 'original-id' } } },
        { ...again, Attributes: { ...again?.Attributes, ApproximateReceiveCount: '3' } },
      ] as Message[];
    });

    const batch = await runActivity(activities.receiveSubmissions, [request], attempt());

    expect(batch.redelivered).toBe(1);
    const held = await activities.hold.use(batch.batchId, async (b) => [...b.messages.values()]);
    expect(held.map((m) => [m.messageId, m.identityId, m.receiveCount])).toEqual([
      ['m0', 'original-id', 1],
      ['m1', 'm1', 3],
    ]);
  });
});
