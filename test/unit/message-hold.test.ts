import type { ChangeMessageVisibilityBatchRequest } from '@aws-sdk/client-sqs';
import { ApplicationFailure } from '@temporalio/common';
import { MessageHold, type HeldMessage } from '../../activities/message-hold';
import { BATCH_NOT_HELD } from '../../src/contracts/failure-types';
import { stubbedSqs } from '../helpers/stub-sqs';

const QUEUE_URL = 'http://127.0.0.1:9/000000000000/q';
const IDLE_RELEASE_MS = 60_000;

function message(id: string, body: string, receivedAtMs = Date.now()): HeldMessage {
  return {
    messageId: id,
    receiptHandle: `rh-${id}`,
    receivedAtMs,
    identityId: id,
    body,
    bodyBytes: Buffer.byteLength(body, 'utf8'),
    sentAtMs: null,
    receiveCount: 1,
    firstReceivedAtMs: null,
  };
}

/** A hold over a stubbed SQS client that records every visibility extension (receipt handle → seconds). */
function holdWithLeaseLog(options: { maxBytes?: number; now?: () => number } = {}) {
  const extensions: { receiptHandle: string; seconds: number }[][] = [];
  const { sqs } = stubbedSqs('ChangeMessageVisibilityBatchCommand', (input) => {
    const entries = (input as ChangeMessageVisibilityBatchRequest).Entries ?? [];
    extensions.push(entries.map((e) => ({ receiptHandle: e.ReceiptHandle ?? '', seconds: e.VisibilityTimeout ?? -1 })));
    return { Successful: entries.map((e) => ({ Id: e.Id })), Failed: [], $metadata: {} };
  });
  const bytesReported: number[] = [];
  const hold = new MessageHold(
    { sqs, queueUrl: QUEUE_URL },
    {
      maxBytes: options.maxBytes ?? 1_000,
      idleReleaseMs: IDLE_RELEASE_MS,
      onBytesChanged: (bytes) => bytesReported.push(bytes),
      ...(options.now ? { now: options.now } : {}),
    },
  );
  return { hold, extensions, bytesReported };
}

async function notHeldFailure(hold: MessageHold, batchId: string): Promise<unknown> {
  return hold.use(batchId, () => Promise.resolve('ran')).catch((err: unknown) => err);
}

describe('MessageHold', () => {
  let hold: MessageHold | undefined;
  afterEach(() => {
    hold?.close();
    hold = undefined;
    jest.useRealTimers();
  });

  it('holds a batch, hands it to its steps, and counts its body bytes against the room left', async () => {
    const held = holdWithLeaseLog({ maxBytes: 1_000 });
    hold = held.hold;
    const batchId = hold.hold([message('a', 'x'.repeat(300)), message('b', 'é'.repeat(100))], 30);

    // UTF-8 bytes, not characters: 'é' is two bytes.
    expect(hold.heldBytes).toBe(500);
    expect(hold.room).toBe(500);
    expect(hold.heldBatches).toBe(1);
    expect(held.bytesReported).toEqual([500]);

    const seen = await hold.use(batchId, (batch) => Promise.resolve([...batch.messages.keys()]));
    expect(seen).toEqual(['a', 'b']);

    // Another worker's batch, or a second receive: ids are distinct, bytes add up.
    const other = hold.hold([message('c', 'y'.repeat(600))], 30);
    expect(other).not.toBe(batchId);
    expect(hold.heldBytes).toBe(1_100);
    // Over the limit (a receive may overshoot by its last answer): no room, never negative room.
    expect(hold.room).toBe(0);
  });

  it('a stopping worker takes no more batches but still runs the steps of those it holds', async () => {
    const held = holdWithLeaseLog({ maxBytes: 1_000 });
    hold = held.hold;
    const batchId = hold.hold([message('a', 'x'.repeat(100))], 30);
    expect(hold.room).toBe(900);

    hold.stopTaking();

    expect(hold.room).toBe(0);
    expect(await hold.use(batchId, (batch) => Promise.resolve(batch.messages.size))).toBe(1);
  });

  it('a step sees what earlier steps left on the batch (verdicts, progress), not a copy', async () => {
    const held = holdWithLeaseLog();
    hold = held.hold;
    const batchId = hold.hold([message('a', 'body')], 30);
    await hold.use(batchId, (batch) => {
      batch.progress.a = 2;
      batch.stepProgress.set('delete', { done: ['a'] });
      return Promise.resolve();
    });
    const batch = await hold.use(batchId, (b) => Promise.resolve(b));
    expect(batch.progress).toEqual({ a: 2 });
    expect(batch.stepProgress.get('delete')).toEqual({ done: ['a'] });
  });

  it('settles messages one by one, and lets the batch go once none is left', async () => {
    const held = holdWithLeaseLog();
    hold = held.hold;
    const batchId = hold.hold([message('a', 'x'.repeat(100)), message('b', 'x'.repeat(200))], 30);

    hold.settle(batchId, ['a', 'not-in-batch']);
    expect(hold.heldBytes).toBe(200);
    expect(hold.heldBatches).toBe(1);
    expect(await hold.use(batchId, (batch) => Promise.resolve([...batch.messages.keys()]))).toEqual(['b']);

    // Settling again what is already settled, or settling for a batch not held, changes nothing.
    hold.settle(batchId, ['a']);
    hold.settle('unknown-batch', ['b']);
    expect(hold.heldBytes).toBe(200);

    hold.settle(batchId, ['b']);
    expect(hold.heldBytes).toBe(0);
    expect(hold.room).toBe(1_000);
    expect(hold.heldBatches).toBe(0);
    // The worker's gauge follows every change (a repeated value is harmless).
    expect([...new Set(held.bytesReported)]).toEqual([300, 200, 0]);
    expect(await notHeldFailure(hold, batchId)).toMatchObject({ type: BATCH_NOT_HELD });
  });

  it('release gives back the bytes of the messages still held; releasing twice is harmless', () => {
    const held = holdWithLeaseLog();
    hold = held.hold;
    const kept = hold.hold([message('k', 'x'.repeat(50))], 30);
    const batchId = hold.hold([message('a', 'x'.repeat(100)), message('b', 'x'.repeat(200))], 30);
    hold.settle(batchId, ['a']);

    hold.release(batchId);
    hold.release(batchId);

    expect(hold.heldBytes).toBe(50);
    expect(hold.heldBatches).toBe(1);
    expect(held.bytesReported.at(-1)).toBe(50);
    hold.release(kept);
    expect(hold.heldBytes).toBe(0);
  });

  it('fails a step on a batch it does not hold for good, typed BatchNotHeld, without running the step', async () => {
    const held = holdWithLeaseLog();
    hold = held.hold;
    let ran = false;
    const error = await hold
      .use('6f1c2d0e-0000-4000-8000-000000000000', () => {
        ran = true;
        return Promise.resolve();
      })
      .catch((err: unknown) => err);

    expect(ran).toBe(false);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: BATCH_NOT_HELD, nonRetryable: true });
    expect((error as ApplicationFailure).message).toMatch(/not held by this worker/);
  });

  it('lets go of batches no step used for idleReleaseMs, never of one a step is using', async () => {
    let nowMs = 1_000_000;
    const held = holdWithLeaseLog({ now: () => nowMs });
    hold = held.hold;
    const unused = hold.hold([message('u', 'x'.repeat(10), nowMs)], 30);
    const busy = hold.hold([message('b', 'x'.repeat(20), nowMs)], 30);
    const recent = hold.hold([message('r', 'x'.repeat(40), nowMs)], 30);

    let finish: () => void = () => undefined;
    const step = hold.use(busy, () => new Promise<void>((resolve) => (finish = resolve)));
    nowMs += IDLE_RELEASE_MS - 1;
    await hold.use(recent, () => Promise.resolve());
    expect(hold.releaseIdle()).toBe(0); // not idle for long enough yet

    nowMs += 2;
    expect(hold.releaseIdle()).toBe(1);
    expect(await notHeldFailure(hold, unused)).toMatchObject({ type: BATCH_NOT_HELD });
    expect(hold.heldBytes).toBe(60);

    // The busy batch's step runs for longer than idleReleaseMs: it stays held while in use...
    nowMs += IDLE_RELEASE_MS * 3;
    expect(hold.releaseIdle()).toBe(1); // only `recent`
    expect(hold.heldBatches).toBe(1);
    finish();
    await step;
    // ...and its idle time counts from when its step ended, not from its receive.
    nowMs += IDLE_RELEASE_MS - 1;
    expect(hold.releaseIdle()).toBe(0);
    nowMs += 2;
    expect(hold.releaseIdle()).toBe(1);
    expect(hold.heldBatches).toBe(0);
    expect(hold.heldBytes).toBe(0);
  });

  it('sweeps idle batches on its own timer', async () => {
    jest.useFakeTimers();
    const held = holdWithLeaseLog();
    hold = held.hold;
    const batchId = hold.hold([message('a', 'x'.repeat(10))], 3_600);

    await jest.advanceTimersByTimeAsync(IDLE_RELEASE_MS / 2);
    expect(hold.heldBatches).toBe(1);
    await jest.advanceTimersByTimeAsync(IDLE_RELEASE_MS);
    expect(hold.heldBatches).toBe(0);
    expect(await notHeldFailure(hold, batchId)).toMatchObject({ type: BATCH_NOT_HELD });
  });

  it('the lease extends the messages still held, and stops when the batch is let go', async () => {
    jest.useFakeTimers();
    const held = holdWithLeaseLog();
    hold = held.hold;
    const batchId = hold.hold([message('a', 'x'), message('b', 'x'), message('c', 'x')], 30);

    // First extension a third of the visibility timeout after the receive: all three, for a full timeout.
    await jest.advanceTimersByTimeAsync(9_999);
    expect(held.extensions).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(held.extensions).toEqual([
      [
        { receiptHandle: 'rh-a', seconds: 30 },
        { receiptHandle: 'rh-b', seconds: 30 },
        { receiptHandle: 'rh-c', seconds: 30 },
      ],
    ]);

    // 'b' deleted: the next extension leaves it out (extending a deleted message's receipt only fails).
    hold.settle(batchId, ['b']);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(held.extensions.at(-1)?.map((e) => e.receiptHandle)).toEqual(['rh-a', 'rh-c']);

    // A step keeps using the batch: the lease goes on regardless of steps (it covers the whole time held).
    await hold.use(batchId, async () => {
      await jest.advanceTimersByTimeAsync(10_000);
    });
    expect(held.extensions).toHaveLength(3);

    hold.release(batchId);
    await jest.advanceTimersByTimeAsync(120_000);
    expect(held.extensions).toHaveLength(3);
  });

  it('settling the last message stops the lease too', async () => {
    jest.useFakeTimers();
    const held = holdWithLeaseLog();
    hold = held.hold;
    const batchId = hold.hold([message('a', 'x'), message('b', 'x')], 30);
    hold.settle(batchId, ['a', 'b']);
    await jest.advanceTimersByTimeAsync(120_000);
    expect(held.extensions).toEqual([]);
  });

  it('a batch received long ago gets its first extension at once (its visibility is counted from the receive)', async () => {
    jest.useFakeTimers();
    const held = holdWithLeaseLog();
    hold = held.hold;
    hold.hold([message('old', 'x', Date.now() - 25_000)], 30);
    await jest.advanceTimersByTimeAsync(0);
    expect(held.extensions.map((e) => e.map((x) => x.receiptHandle))).toEqual([['rh-old']]);
  });

  it('close lets every batch go and stops every lease', async () => {
    jest.useFakeTimers();
    const held = holdWithLeaseLog();
    hold = held.hold;
    const one = hold.hold([message('a', 'x'.repeat(5))], 30);
    hold.hold([message('b', 'x'.repeat(5))], 30);
    hold.close();
    expect(hold.heldBatches).toBe(0);
    expect(hold.heldBytes).toBe(0);
    await jest.advanceTimersByTimeAsync(120_000);
    expect(held.extensions).toEqual([]);
    expect(await notHeldFailure(hold, one)).toMatchObject({ type: BATCH_NOT_HELD });
  });
});
