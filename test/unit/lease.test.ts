import type { ChangeMessageVisibilityBatchRequest } from '@aws-sdk/client-sqs';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { extensionSeconds, keepLease, SQS_MAX_VISIBILITY_MS } from '../../activities/lease';
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

describe('keepLease', () => {
  it('asks per message for no more than the cap allows, and skips messages at the cap', async () => {
    const requests: ChangeMessageVisibilityBatchRequest[] = [];
    const { sqs } = stubbedSqs('ChangeMessageVisibilityBatchCommand', (input) => {
      const request = input as ChangeMessageVisibilityBatchRequest;
      requests.push(request);
      return { Successful: (request.Entries ?? []).map((e) => ({ Id: e.Id })), Failed: [], $metadata: {} };
    });
    const now = 1_800_000_000_000;
    const messages = [
      { messageId: 'fresh', receiptHandle: 'rh-fresh', receivedAtMs: now - 1_000 },
      { messageId: 'at-cap', receiptHandle: 'rh-at-cap', receivedAtMs: now - SQS_MAX_VISIBILITY_MS + 10_000 },
      { messageId: 'near-cap', receiptHandle: 'rh-near-cap', receivedAtMs: now - SQS_MAX_VISIBILITY_MS + 62_000 },
    ];
    const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
    const extensions = await env.run(async () => {
      // Visibility 3 s: the lease extends every second.
      const lease = keepLease({ sqs, queueUrl: 'http://127.0.0.1:9/000000000000/q' }, messages, 3, () => now);
      await new Promise((resolve) => setTimeout(resolve, 1_300));
      lease.release();
      return lease.extensions();
    });

    expect(requests).toHaveLength(1);
    expect(requests[0]?.Entries?.map((e) => [e.ReceiptHandle, e.VisibilityTimeout])).toEqual([
      ['rh-fresh', 3],
      ['rh-near-cap', 2],
    ]);
    expect(extensions).toBe(2);
  });
});
