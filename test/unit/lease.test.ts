import type { ChangeMessageVisibilityBatchRequest } from '@aws-sdk/client-sqs';
import { extensionSeconds, keepLease, SQS_MAX_VISIBILITY_MS } from '../../src/sqs/lease';
import { stubbedSqs } from '../helpers/stub-sqs';

const HOUR_MS = 3600_000;

describe('extensionSeconds (SQS 12-hour visibility cap)', () => {
  const now = 1_800_000_000_000;
  it.each([
    ['no receive time (older histories): the configured timeout', undefined, 120],
    ['just received: the configured timeout', now - 5_000, 120],
    ['11 h in: still the configured timeout', now - 11 * HOUR_MS, 120],
    ['90 s before the cap: what is left minus a 60 s margin', now - SQS_MAX_VISIBILITY_MS + 90_000, 30],
    ['inside the margin: stop extending', now - SQS_MAX_VISIBILITY_MS + 30_000, 0],
    ['past the cap: stop extending', now - SQS_MAX_VISIBILITY_MS - 1, 0],
  ])('%s', (_label, receivedAtMs, expected) => {
    expect(extensionSeconds(120, receivedAtMs, now)).toBe(expected);
  });
});

const QUEUE = 'http://127.0.0.1:9/000000000000/q';

/** A stubbed ChangeMessageVisibilityBatch that records each request and answers per `answer` (all extended by default). */
function visibilityStub(answer?: (request: ChangeMessageVisibilityBatchRequest, call: number) => void) {
  const requests: ChangeMessageVisibilityBatchRequest[] = [];
  const { sqs } = stubbedSqs('ChangeMessageVisibilityBatchCommand', (input, call) => {
    const request = input as ChangeMessageVisibilityBatchRequest;
    requests.push(request);
    answer?.(request, call);
    return { Successful: (request.Entries ?? []).map((e) => ({ Id: e.Id })), Failed: [], $metadata: {} };
  });
  return { sqs, requests };
}

/**
 * Moves the fake clock and lets every extension it started finish: the stubbed client answers through promises only,
 * and setImmediate (left real) runs after all of them.
 */
async function advance(ms: number): Promise<void> {
  await jest.advanceTimersByTimeAsync(ms);
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** The lease runs on its own timers, outside any activity: it reports through the log it is given. */
function recordingLog() {
  const warnings: string[] = [];
  return { warnings, log: { warn: (message: string) => void warnings.push(message) } };
}

describe('keepLease', () => {
  const start = 1_800_000_000_000;
  beforeEach(() => jest.useFakeTimers({ now: start, doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] }));
  afterEach(() => jest.useRealTimers());

  it('asks per message for no more than the cap allows, and skips messages at the cap', async () => {
    const { sqs, requests } = visibilityStub();
    const messages = [
      { messageId: 'fresh', receiptHandle: 'rh-fresh', receivedAtMs: start - 1_000 },
      { messageId: 'at-cap', receiptHandle: 'rh-at-cap', receivedAtMs: start - SQS_MAX_VISIBILITY_MS + 10_000 },
      { messageId: 'near-cap', receiptHandle: 'rh-near-cap', receivedAtMs: start - SQS_MAX_VISIBILITY_MS + 62_000 },
    ];
    // The near-cap messages were received hours ago: their extension is due at once.
    const lease = keepLease({ sqs, queueUrl: QUEUE, log: recordingLog().log }, () => messages, 120);
    await advance(0);
    lease.release();
    const extensions = lease.extensions();

    expect(requests).toHaveLength(1);
    expect(requests[0]?.Entries?.map((e) => [e.ReceiptHandle, e.VisibilityTimeout])).toEqual([
      ['rh-fresh', 120],
      ['rh-near-cap', 62 - 60],
    ]);
    expect(extensions).toBe(2);
  });

  it.each([
    ['received 30 s before the step: 10 s into it', 30_000, 10_000],
    ['received 50 s before the step (past a third of 120 s): at once', 50_000, 0],
    ['received just now: a full third of the timeout', 0, 40_000],
  ])('schedules the first extension from the receive time: %s', async (_label, heldMs, dueInMs) => {
    const { sqs, requests } = visibilityStub();
    const messages = [
      { messageId: 'a', receiptHandle: 'rh-a', receivedAtMs: start - heldMs },
      { messageId: 'b', receiptHandle: 'rh-b', receivedAtMs: start - heldMs + 500 },
    ];
    const lease = keepLease({ sqs, queueUrl: QUEUE, log: recordingLog().log }, () => messages, 120);
    if (dueInMs > 0) {
      await advance(dueInMs - 1);
      expect(requests).toHaveLength(0);
    }
    await advance(1);
    expect(requests).toHaveLength(1);
    // Then every third of the timeout.
    await advance(40_000);
    expect(requests).toHaveLength(2);
    lease.release();
    await advance(120_000);
    expect(requests).toHaveLength(2);
  });

  it('extends each chunk on its own: a failing request does not stop the rest of the tick', async () => {
    const { sqs, requests } = visibilityStub((_request, call) => {
      if (call === 0) throw Object.assign(new Error('throttled'), { name: 'RequestThrottled' });
    });
    const messages = Array.from({ length: 25 }, (_, i) => ({
      messageId: `m${i}`,
      receiptHandle: `rh${i}`,
      receivedAtMs: start,
    }));
    const { log, warnings } = recordingLog();
    const lease = keepLease({ sqs, queueUrl: QUEUE, log }, () => messages, 3);
    await advance(1_000);
    lease.release();

    expect(requests.map((r) => r.Entries?.length)).toEqual([10, 10, 5]);
    expect(lease.extensions()).toBe(15);
    // Reported through the lease's own log: no activity context exists on its timer (the raw loop has none either).
    expect(warnings).toEqual(['visibility extension failed; will try again']);
  });
});
