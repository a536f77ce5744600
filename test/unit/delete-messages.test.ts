import type { DeleteMessageBatchRequest, ServiceInputTypes, ServiceOutputTypes } from '@aws-sdk/client-sqs';
import { ApplicationFailure } from '@temporalio/common';
import type { MessageHold } from '../../activities/message-hold';
import { BATCH_NOT_HELD, DELETE_INCOMPLETE } from '../../src/contracts/failure-types';
import { allPublished, heldIds, holdBatch, invalidHeld, validHeld } from '../helpers/held-batch';
import { activitiesOverSqs, stubbedSqs } from '../helpers/stub-sqs';
import { quietActivityEnvironment, runActivity } from '../helpers/temporal';

// fauxqs reports every DeleteMessageBatch entry as successful (even a bogus receipt handle), so per-entry failures are
// exercised here with a stubbed client; the emulator test covers the happy path.

const entriesOf = (input: ServiceInputTypes) => (input as DeleteMessageBatchRequest).Entries ?? [];
const deleteAll = (input: ServiceInputTypes): ServiceOutputTypes => ({
  Successful: entriesOf(input).map((e) => ({ Id: e.Id })),
  Failed: [],
  $metadata: {},
});

/** Activities whose every DeleteMessageBatch is answered (all deleted) only after `ms`, on fake timers. */
function deletesAnsweredAfter(ms: number): ReturnType<typeof activitiesOverSqs> {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
  return activitiesOverSqs(
    stubbedSqs(
      'DeleteMessageBatchCommand',
      (input) => new Promise((resolve) => setTimeout(() => resolve(deleteAll(input)), ms)),
    ).sqs,
  );
}

describe('deleteMessages', () => {
  let hold: MessageHold | undefined;
  afterEach(() => {
    hold?.close();
    hold = undefined;
    jest.useRealTimers();
  });

  it('deletes only the messages whose every event is acknowledged; the rest stay held', async () => {
    const deleted: string[] = [];
    const { sqs } = stubbedSqs('DeleteMessageBatchCommand', (input) => {
      deleted.push(...entriesOf(input).map((e) => e.ReceiptHandle ?? ''));
      return deleteAll(input);
    });
    const activities = activitiesOverSqs(sqs);
    hold = activities.hold;
    const messages = [validHeld('done', 3), validHeld('partly', 3), validHeld('none', 2), invalidHeld('bad', 'x')];
    const batchId = await holdBatch(hold, messages, { done: 3, partly: 2 });

    const result = await runActivity(activities.deleteMessages, [{ batchIds: [batchId] }]);

    expect(result).toEqual({ notHeld: [], deleted: 1, retriedEntries: 0, staleReceipts: 0 });
    expect(deleted).toEqual(['rh-done']);
    // A message whose events are not all on the stream must never be deleted (it would be lost); the invalid one is
    // the drop step's. Both stay held, under the batch's lease.
    expect(await heldIds(hold, batchId)).toEqual(['partly', 'none', 'bad']);
  });

  it('records its progress on the batch after every request but the last; a short delete sends no heartbeat', async () => {
    const timeline: string[] = [];
    const activities = activitiesOverSqs(
      stubbedSqs('DeleteMessageBatchCommand', (input) => {
        timeline.push(`request ${entriesOf(input).length}`);
        return deleteAll(input);
      }).sqs,
    );
    hold = activities.hold;
    const messages = Array.from({ length: 25 }, (_, i) => validHeld(`m${i}`));
    const batchId = await holdBatch(hold, messages, allPublished(messages));
    const batch = await hold.use(batchId, (b) => Promise.resolve(b));
    const recorded = jest.spyOn(batch.stepProgress, 'set');
    const env = quietActivityEnvironment();
    env.on('heartbeat', () => timeline.push('heartbeat'));

    const result = await runActivity(activities.deleteMessages, [{ batchIds: [batchId] }], env);

    expect(result.deleted).toBe(25);
    // Each record is what is deleted so far, kept with the batch: a retried attempt on this worker skips it.
    expect(recorded.mock.calls.map(([, progress]) => (progress as { done: string[] }).done.length)).toEqual([10, 20]);
    // No heartbeat at all: each is a billed Temporal action, and this step took far less than the keep-alive period.
    expect(timeline).toEqual(['request 10', 'request 10', 'request 5']);
    // Every message deleted: the batch leaves the hold, its lease stops.
    expect(hold.heldBatches).toBe(0);
    expect(hold.heldBytes).toBe(0);
  });

  it('heartbeats while a delete runs long, so a dead worker is noticed within the heartbeat timeout', async () => {
    const activities = deletesAnsweredAfter(25_000);
    hold = activities.hold;
    const messages = [validHeld('slow')];
    const batchId = await holdBatch(hold, messages, allPublished(messages), 3_600);
    const env = quietActivityEnvironment();
    let heartbeats = 0;
    env.on('heartbeat', () => (heartbeats += 1));

    const running = runActivity(activities.deleteMessages, [{ batchIds: [batchId] }], env);
    await jest.advanceTimersByTimeAsync(25_000);
    const result = await running;
    expect(result.deleted).toBe(1);
    expect(heartbeats).toBe(2); // at 10 s and 20 s
    await jest.advanceTimersByTimeAsync(60_000);
    expect(heartbeats).toBe(2); // none outlives the step
  });

  it('heartbeats once per period for the whole step, however many batches it settles', async () => {
    const activities = deletesAnsweredAfter(25_000);
    hold = activities.hold;
    const batchIds: string[] = [];
    for (const id of ['a', 'b', 'c']) {
      const messages = [validHeld(id)];
      batchIds.push(await holdBatch(hold, messages, allPublished(messages), 3_600));
    }
    const env = quietActivityEnvironment();
    let heartbeats = 0;
    env.on('heartbeat', () => (heartbeats += 1));

    const running = runActivity(activities.deleteMessages, [{ batchIds }], env);
    await jest.advanceTimersByTimeAsync(25_000);
    expect((await running).deleted).toBe(3);
    expect(heartbeats).toBe(2); // at 10 s and 20 s: one step, one keep-alive (each heartbeat is a billed action)
  });

  it('retries failed entries, counts and lets go of refused receipts, and never trusts a missing result', async () => {
    const seen: string[][] = [];
    const { sqs } = stubbedSqs('DeleteMessageBatchCommand', (input, call) => {
      const entries = entriesOf(input);
      seen.push(entries.map((e) => e.ReceiptHandle ?? ''));
      if (call === 0) {
        // rh-m0: transient failure; rh-m1: receipt SQS refuses; rh-m2: silently missing from both lists.
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
      return deleteAll(input);
    });
    const activities = activitiesOverSqs(sqs);
    hold = activities.hold;
    const messages = Array.from({ length: 12 }, (_, i) => validHeld(`m${i}`));
    const batchId = await holdBatch(hold, messages, allPublished(messages));

    const result = await runActivity(activities.deleteMessages, [{ batchIds: [batchId] }]);

    expect(result).toEqual({ notHeld: [], deleted: 11, retriedEntries: 4, staleReceipts: 1 });
    expect(seen[0]).toHaveLength(10);
    expect(seen[1]).toEqual(['rh-m10', 'rh-m11']);
    // The second round retries exactly the transient and the unconfirmed ones, plus the chunk whose request threw.
    expect(seen.slice(2).flat().sort()).toEqual(['rh-m0', 'rh-m10', 'rh-m11', 'rh-m2'].sort());
    // The refused one will be received again (same event ids): this worker lets it go with the deleted ones.
    expect(hold.heldBatches).toBe(0);
  });

  it('gives up after rounds without progress with a retryable failure; a retry resumes from the batch’s progress', async () => {
    let healthy = false;
    const sent: string[][] = [];
    const { sqs } = stubbedSqs('DeleteMessageBatchCommand', (input) => {
      const entries = entriesOf(input);
      sent.push(entries.map((e) => e.ReceiptHandle ?? ''));
      return {
        // m0 is deleted at once; m1 fails until SQS is healthy again.
        Successful: entries.filter((e) => healthy || e.ReceiptHandle === 'rh-m0').map((e) => ({ Id: e.Id })),
        Failed: entries
          .filter((e) => !healthy && e.ReceiptHandle !== 'rh-m0')
          .map((e) => ({ Id: e.Id, Code: 'InternalError', SenderFault: false })),
        $metadata: {},
      };
    });
    const activities = activitiesOverSqs(sqs);
    hold = activities.hold;
    const messages = [validHeld('m0'), validHeld('m1')];
    const batchId = await holdBatch(hold, messages, allPublished(messages));

    const error = await runActivity(activities.deleteMessages, [{ batchIds: [batchId] }]).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: DELETE_INCOMPLETE, nonRetryable: false });
    // The failed attempt lets nothing go: the batch (and its lease) stays for the retry.
    expect(await heldIds(hold, batchId)).toEqual(['m0', 'm1']);

    healthy = true;
    sent.length = 0;
    const resumed = await runActivity(activities.deleteMessages, [{ batchIds: [batchId] }]);

    // The retry (a new attempt, no heartbeat details) sends only what is left, and still counts m0 as deleted.
    expect(sent).toEqual([['rh-m1']]);
    expect(resumed).toEqual({ notHeld: [], deleted: 2, retriedEntries: 0, staleReceipts: 0 });
    expect(hold.heldBatches).toBe(0);
  });

  it('fails for good, typed BatchNotHeld, on a batch this worker does not hold', async () => {
    const { sqs, calls } = stubbedSqs('DeleteMessageBatchCommand', deleteAll);
    const activities = activitiesOverSqs(sqs);
    hold = activities.hold;
    const error = await runActivity(activities.deleteMessages, [{ batchIds: ['lost-with-its-worker'] }]).catch(
      (err: unknown) => err,
    );
    expect(error).toMatchObject({ type: BATCH_NOT_HELD, nonRetryable: true });
    expect(calls()).toBe(0);
  });

  it('settles several batches in one step, and names those no longer held beside what it deleted', async () => {
    const deleted: string[] = [];
    const { sqs } = stubbedSqs('DeleteMessageBatchCommand', (input) => {
      deleted.push(...entriesOf(input).map((e) => e.ReceiptHandle ?? ''));
      return deleteAll(input);
    });
    const activities = activitiesOverSqs(sqs);
    hold = activities.hold;
    const first = await holdBatch(hold, [validHeld('a', 1), validHeld('b', 2)], { a: 1, b: 2 });
    const second = await holdBatch(hold, [validHeld('c', 1)], { c: 1 });

    const result = await runActivity(activities.deleteMessages, [{ batchIds: [first, 'let-go', second] }]);

    expect(result).toEqual({ notHeld: ['let-go'], deleted: 3, retriedEntries: 0, staleReceipts: 0 });
    expect(deleted.sort()).toEqual(['rh-a', 'rh-b', 'rh-c']);
    expect(hold.heldBatches).toBe(0);
  });
});
