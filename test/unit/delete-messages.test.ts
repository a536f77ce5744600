import type { DeleteMessageBatchRequest } from '@aws-sdk/client-sqs';
import { ApplicationFailure } from '@temporalio/common';
import { DELETE_INCOMPLETE } from '../../workflows/failure-types';
import { activitiesOverSqs, stubbedSqs } from '../helpers/stub-sqs';
import { quietActivityEnvironment, runActivity } from '../helpers/temporal';

// fauxqs reports every DeleteMessageBatch entry as successful (even a bogus receipt handle), so per-entry failures are
// exercised here with a stubbed client; the emulator test covers the happy path.
const receipts = Array.from({ length: 12 }, (_, i) => ({ messageId: `m${i}`, receiptHandle: `rh${i}` }));

describe('deleteMessages', () => {
  it('heartbeats after every request but the last, not once per round (a round is up to ten requests of up to 30 s each)', async () => {
    const timeline: string[] = [];
    const { sqs } = stubbedSqs('DeleteMessageBatchCommand', (input) => {
      const entries = (input as DeleteMessageBatchRequest).Entries ?? [];
      timeline.push(`request ${entries.length}`);
      return { Successful: entries.map((e) => ({ Id: e.Id })), Failed: [], $metadata: {} };
    });
    const env = quietActivityEnvironment();
    env.on('heartbeat', (details: { done: string[] }) => timeline.push(`heartbeat ${details.done.length}`));
    const messages = Array.from({ length: 25 }, (_, i) => ({ messageId: `m${i}`, receiptHandle: `rh${i}` }));

    await runActivity(activitiesOverSqs(sqs).deleteMessages, [{ messages }], env);

    // One round of three requests; each heartbeat carries what is deleted so far. None after the last request: the
    // activity completes next, and the worker would receive that heartbeat after the completion (UnknownActivity).
    expect(timeline).toEqual(['request 10', 'heartbeat 10', 'request 10', 'heartbeat 20', 'request 5']);
  });

  it('retries failed entries, reports refused receipts, and never trusts a missing result', async () => {
    const seen: string[][] = [];
    const { sqs } = stubbedSqs('DeleteMessageBatchCommand', (input, call) => {
      const entries = (input as DeleteMessageBatchRequest).Entries ?? [];
      seen.push(entries.map((e) => e.ReceiptHandle ?? ''));
      if (call === 0) {
        // rh0: transient failure; rh1: receipt SQS refuses; rh2: silently missing from both lists.
        return {
          Successful: entries.slice(3).map((e) => ({ Id: e.Id })),
          Failed: [
            { Id: '0', Code: 'InternalError', SenderFault: false },
            { Id: '1', Code: 'ReceiptHandleIsInvalid', SenderFault: true },
          ],
          $metadata: {},
        };
      }
      if (call === 1) throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      return { Successful: entries.map((e) => ({ Id: e.Id })), Failed: [], $metadata: {} };
    });
    const { deleteMessages } = activitiesOverSqs(sqs);

    const result = await runActivity(deleteMessages, [{ messages: receipts }]);

    expect(result.deleted).toBe(11);
    expect(result.staleReceipts).toEqual(['m1']);
    expect(seen[0]).toHaveLength(10);
    expect(seen[1]).toEqual(['rh10', 'rh11']);
    // The second round retries exactly the transient and the unconfirmed ones, plus the chunk whose request threw.
    expect(seen.slice(2).flat().sort()).toEqual(['rh0', 'rh10', 'rh11', 'rh2'].sort());
  });

  it('gives up after rounds without progress with a retryable failure, resuming later from its heartbeat', async () => {
    const { sqs } = stubbedSqs('DeleteMessageBatchCommand', (input) => ({
      Failed: ((input as DeleteMessageBatchRequest).Entries ?? []).map((e) => ({
        Id: e.Id,
        Code: 'InternalError',
        SenderFault: false,
      })),
      $metadata: {},
    }));
    const { deleteMessages } = activitiesOverSqs(sqs);
    const error = await runActivity(deleteMessages, [{ messages: receipts.slice(0, 2) }]).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect((error as ApplicationFailure).type).toBe(DELETE_INCOMPLETE);
    expect((error as ApplicationFailure).nonRetryable).toBe(false);

    // A retried attempt skips what its heartbeat says is already deleted.
    const { sqs: healthy, calls } = stubbedSqs('DeleteMessageBatchCommand', (input) => ({
      Successful: ((input as DeleteMessageBatchRequest).Entries ?? []).map((e) => ({ Id: e.Id })),
      $metadata: {},
    }));
    const env = quietActivityEnvironment({ heartbeatDetails: { done: ['m0'], stale: [] } });
    const resumed = await runActivity(
      activitiesOverSqs(healthy).deleteMessages,
      [{ messages: receipts.slice(0, 2) }],
      env,
    );
    expect(resumed.deleted).toBe(2);
    expect(calls()).toBe(1);
  });
});
