import type {
  DeleteMessageBatchRequest,
  SendMessageBatchRequest,
  SendMessageBatchRequestEntry,
  SQSClient,
  ServiceInputTypes,
  ServiceOutputTypes,
} from '@aws-sdk/client-sqs';
import { ApplicationFailure } from '@temporalio/common';
import {
  createDropInvalidSubmissions,
  entryBytes,
  quarantineRecord,
  type InvalidMessage,
} from '../../activities/drop-invalid-submissions';
import { MessageHold, type HeldMessage } from '../../activities/message-hold';
import { QUARANTINE_INCOMPLETE } from '../../src/contracts/failure-types';
import { heldIds, holdBatch, invalidHeld, validHeld } from '../helpers/held-batch';
import { stubbedSqs } from '../helpers/stub-sqs';
import { runActivity } from '../helpers/temporal';

// The request limit these tests hold SQS to: 256 KiB, the limit of queues whose maximum message size was never raised
// (fauxqs enforces 1 MiB, so the emulator cannot show it).
const LIMIT = 262_144;
const QUARANTINE_URL = 'http://127.0.0.1:9/000000000000/quarantine';

const QUEUE_URL = 'http://127.0.0.1:9/000000000000/q';

/** An invalid message as its worker holds it (receipt handle `rh-m<i>`), with a body of `bodyBytes` bytes. */
function invalid(i: number, bodyBytes: number): HeldMessage {
  return invalidHeld(`m${i}`, 'x'.repeat(bodyBytes));
}

function originalId(entry: SendMessageBatchRequestEntry): string {
  const parsed: unknown = JSON.parse(entry.MessageBody ?? '{}');
  return typeof parsed === 'object' && parsed !== null && 'original_message_id' in parsed
    ? String(parsed.original_message_id)
    : '';
}

function tooLong(): Error {
  return Object.assign(new Error('Batch requests cannot be longer than 262144 bytes.'), {
    name: 'BatchRequestTooLong',
  });
}

/** Answers SendMessageBatch like SQS with a 256 KiB limit: the whole request refused when its entries exceed it. */
function sendWithinLimit(input: ServiceInputTypes): ServiceOutputTypes {
  const entries = (input as SendMessageBatchRequest).Entries ?? [];
  if (entries.reduce((sum, e) => sum + entryBytes(e), 0) > LIMIT) throw tooLong();
  return { Successful: entries.map((e) => ({ Id: e.Id })), Failed: [], $metadata: {} };
}

function deleteAll(input: ServiceInputTypes): ServiceOutputTypes {
  const entries = (input as DeleteMessageBatchRequest).Entries ?? [];
  return { Successful: entries.map((e) => ({ Id: e.Id })), Failed: [], $metadata: {} };
}

/** One stubbed client answering both commands the activity sends; records what was copied and deleted. */
function stubbedQueues(
  send: (input: ServiceInputTypes, call: number) => ServiceOutputTypes,
  del: (input: ServiceInputTypes, call: number) => ServiceOutputTypes = deleteAll,
) {
  const copies: string[] = [];
  const requestBytes: number[] = [];
  const deleted: string[] = [];
  const { sqs, calls: sendCalls } = stubbedSqs('SendMessageBatchCommand', (input, call) => {
    const entries = (input as SendMessageBatchRequest).Entries ?? [];
    requestBytes.push(entries.reduce((sum, e) => sum + entryBytes(e), 0));
    const output = send(input, call);
    const ok = new Set(('Successful' in output ? (output.Successful ?? []) : []).map((s) => s.Id));
    copies.push(...entries.filter((e) => ok.has(e.Id)).map(originalId));
    return output;
  });
  let deleteCalls = 0;
  sqs.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'DeleteMessageBatchCommand') return next(args);
      const output = del(args.input, deleteCalls++);
      const entries = (args.input as DeleteMessageBatchRequest).Entries ?? [];
      const ok = new Set(('Successful' in output ? (output.Successful ?? []) : []).map((s) => s.Id));
      deleted.push(...entries.filter((e) => ok.has(e.Id)).map((e) => (e.ReceiptHandle ?? '').replace('rh-', '')));
      return { output, response: {} };
    },
    { step: 'initialize', name: 'stubbedDelete' },
  );
  return { sqs, copies, requestBytes, deleted, sendCalls };
}

/**
 * The hold of one worker: every attempt of a test runs on it (a retried step runs on the worker holding the batch),
 * whatever SQS client that attempt's activity talks to. Its lease never fires within a test (long visibility).
 */
let hold: MessageHold;
beforeEach(() => {
  const { sqs } = stubbedSqs('ChangeMessageVisibilityBatchCommand', () => ({ Successful: [], $metadata: {} }));
  hold = new MessageHold({ sqs, queueUrl: QUEUE_URL }, { maxBytes: 64 * 1024 * 1024, idleReleaseMs: 60_000 });
});
afterEach(() => hold.close());

function dropActivity(sqs: SQSClient) {
  return createDropInvalidSubmissions({
    sqs,
    queueUrl: QUEUE_URL,
    quarantineQueueUrl: QUARANTINE_URL,
    retry: { initialBackoffMs: 1, maxBackoffMs: 2, maxRoundsWithoutProgress: 3 },
    hold,
  });
}

/** Runs one attempt on a held batch and returns its result (or failure). */
async function attempt(sqs: SQSClient, batchId: string): Promise<unknown> {
  return runActivity(dropActivity(sqs), [{ batchIds: [batchId] }]).catch((err: unknown) => err);
}

describe('dropInvalidSubmissions: quarantine copies', () => {
  it('copies each invalid message (body + reason) and deletes it; valid messages are not its business', async () => {
    const bad = [
      invalidHeld('m0', 'not json', 'invalid_json', 'Unexpected token'),
      invalidHeld('m1', '{}', 'invalid_uuid'),
    ];
    const batchId = await holdBatch(hold, [validHeld('ok'), ...bad]);
    const bodies: string[] = [];
    const queues = stubbedQueues((input) => {
      bodies.push(...((input as SendMessageBatchRequest).Entries ?? []).map((e) => e.MessageBody ?? ''));
      return sendWithinLimit(input);
    });

    const outcome = await attempt(queues.sqs, batchId);

    expect(outcome).toEqual({
      notHeld: [],
      quarantined: 2,
      notQuarantined: 0,
      deleted: 2,
      retriedEntries: 0,
      staleReceipts: 0,
    });
    expect(queues.deleted.sort()).toEqual(['m0', 'm1']);
    expect(bodies.map((b) => JSON.parse(b) as unknown)).toEqual([
      expect.objectContaining({
        original_message_id: 'm0',
        reason: 'invalid_json',
        detail: 'Unexpected token',
        body: 'not json',
      }),
      expect.objectContaining({ original_message_id: 'm1', reason: 'invalid_uuid', body: '{}' }),
    ]);
    // The dropped messages leave the hold; the valid one stays for its publish and delete.
    expect(await heldIds(hold, batchId)).toEqual(['ok']);
  });

  it('without a quarantine queue, deletes the invalid messages and copies nothing', async () => {
    const batchId = await holdBatch(hold, [invalid(0, 10), invalid(1, 10)]);
    const queues = stubbedQueues(sendWithinLimit);
    const drop = createDropInvalidSubmissions({ sqs: queues.sqs, queueUrl: QUEUE_URL, hold });

    const outcome = await runActivity(drop, [{ batchIds: [batchId] }]);

    expect(outcome).toMatchObject({ quarantined: 0, notQuarantined: 0, deleted: 2 });
    expect(queues.sendCalls()).toBe(0);
    expect(queues.deleted.sort()).toEqual(['m0', 'm1']);
    expect(hold.heldBatches).toBe(0);
  });

  it('sizes requests by bytes: large invalid bodies never make a request SQS refuses as too long', async () => {
    // Ten messages, three of them ~100 KB: one request of ten would be ~300 KB.
    const messages = Array.from({ length: 10 }, (_, i) => invalid(i, i % 4 === 0 ? 100_000 : 200));
    const batchId = await holdBatch(hold, messages);
    const queues = stubbedQueues(sendWithinLimit);

    const outcome = await attempt(queues.sqs, batchId);

    expect(outcome).toMatchObject({ quarantined: 10, notQuarantined: 0, deleted: 10 });
    expect(queues.requestBytes.length).toBeGreaterThan(1);
    expect(Math.max(...queues.requestBytes)).toBeLessThanOrEqual(LIMIT);
    expect(queues.copies.sort()).toEqual(messages.map((m) => m.messageId).sort());
    expect(queues.deleted.sort()).toEqual(messages.map((m) => m.messageId).sort());
  });

  it('a request refused as too long is split, not retried as is; an entry too long alone is refused for good', async () => {
    // m3 alone exceeds the limit. Every neighbour must still be copied and deleted; m3 stays in the queue (it reaches
    // the dead-letter queue after maxReceiveCount), never deleted without its copy.
    const messages = Array.from({ length: 10 }, (_, i) => invalid(i, i === 3 ? 300_000 : 200));
    const batchId = await holdBatch(hold, messages);
    const sent: number[] = [];
    const queues = stubbedQueues((input) => {
      sent.push((input as SendMessageBatchRequest).Entries?.length ?? 0);
      return sendWithinLimit(input);
    });

    const outcome = await attempt(queues.sqs, batchId);

    const neighbours = messages.filter((m) => m.messageId !== 'm3').map((m) => m.messageId);
    expect(outcome).toMatchObject({ quarantined: 9, notQuarantined: 1, deleted: 9 });
    expect(queues.copies.sort()).toEqual(neighbours.sort());
    expect(queues.deleted.sort()).toEqual(neighbours.sort());
    // The oversized entry was sent alone exactly once: splitting, then refusing it, not retrying it.
    expect(sent.filter((n) => n === 1)).toHaveLength(1);
    // This worker lets m3 go too: it reappears after its visibility timeout, on its way to the dead-letter queue.
    expect(hold.heldBatches).toBe(0);
  });

  it('records its progress on the batch after every quarantine request, before any delete', async () => {
    const messages = Array.from({ length: 25 }, (_, i) => invalid(i, 200));
    const batchId = await holdBatch(hold, messages);
    const batch = await hold.use(batchId, (b) => Promise.resolve(b));
    const timeline: string[] = [];
    const progress = (): string => {
      const recorded = batch.stepProgress.get('drop-invalid') as
        { quarantine: { copied: string[] }; deleted: { done: string[] } } | undefined;
      return recorded ? `copied ${recorded.quarantine.copied.length}, deleted ${recorded.deleted.done.length}` : 'none';
    };
    const queues = stubbedQueues(
      (input) => {
        timeline.push(`copy ${(input as SendMessageBatchRequest).Entries?.length ?? 0} (${progress()})`);
        return sendWithinLimit(input);
      },
      (input) => {
        timeline.push(`delete ${(input as DeleteMessageBatchRequest).Entries?.length ?? 0} (${progress()})`);
        return deleteAll(input);
      },
    );

    await attempt(queues.sqs, batchId);

    expect(timeline).toEqual([
      'copy 10 (none)',
      'copy 10 (copied 10, deleted 0)',
      'copy 5 (copied 20, deleted 0)',
      'delete 10 (copied 25, deleted 0)',
      'delete 10 (copied 25, deleted 10)',
      'delete 5 (copied 25, deleted 20)',
    ]);
  });

  it('a retried attempt resumes from the batch’s progress: no message copied twice, none deleted uncopied', async () => {
    const messages = Array.from({ length: 15 }, (_, i) => invalid(i, 200));
    const batchId = await holdBatch(hold, messages);
    const internalError = (): never => {
      throw Object.assign(new Error('internal'), { name: 'InternalError' });
    };

    // Attempt 1: the first request (ten copies) succeeds, then SendMessageBatch keeps failing.
    const first = stubbedQueues((input, call) => (call === 0 ? sendWithinLimit(input) : internalError()));
    const one = await attempt(first.sqs, batchId);
    expect(one).toBeInstanceOf(ApplicationFailure);
    expect((one as ApplicationFailure).type).toBe(QUARANTINE_INCOMPLETE);
    expect(first.copies).toHaveLength(10);
    expect(first.deleted).toEqual([]);

    // Attempt 2: copies succeed, every delete entry fails.
    const second = stubbedQueues(sendWithinLimit, (input) => ({
      Failed: ((input as DeleteMessageBatchRequest).Entries ?? []).map((e) => ({
        Id: e.Id,
        Code: 'InternalError',
        SenderFault: false,
      })),
      $metadata: {},
    }));
    const two = await attempt(second.sqs, batchId);
    expect(two).toBeInstanceOf(ApplicationFailure);
    expect(second.copies.sort()).toEqual(['m10', 'm11', 'm12', 'm13', 'm14']);
    // Failed attempts let nothing go: the batch stays held for the next one.
    expect(await heldIds(hold, batchId)).toHaveLength(15);

    // Attempt 3: all healthy. The delete phase's progress in attempt 2 must not have erased its copies.
    const third = stubbedQueues(sendWithinLimit);
    const three = await attempt(third.sqs, batchId);

    expect(three).toMatchObject({ quarantined: 15, notQuarantined: 0, deleted: 15 });
    expect(third.sendCalls()).toBe(0);
    const allCopies = [...first.copies, ...second.copies, ...third.copies].sort();
    expect(allCopies).toEqual(messages.map((m) => m.messageId).sort());
    expect(third.deleted.sort()).toEqual(messages.map((m) => m.messageId).sort());
    expect(hold.heldBatches).toBe(0);
  });
});

describe('quarantineRecord', () => {
  it('holds the body exactly as SQS delivered it (a base64 body stays base64), with why it was refused', () => {
    const sent = Buffer.from('{"submission_id":"not-an-uuid"}', 'utf8').toString('base64');
    const message: InvalidMessage = {
      messageId: 'm1',
      receiptHandle: 'rh-m1',
      reason: 'invalid_uuid',
      detail: 'submission_id: not a UUID',
      body: sent,
      bodyBytes: sent.length,
    };
    const copy: unknown = JSON.parse(quarantineRecord(message, new Date(0)));
    expect(copy).toEqual({
      original_message_id: 'm1',
      reason: 'invalid_uuid',
      detail: 'submission_id: not a UUID',
      quarantined_at: '1970-01-01T00:00:00.000Z',
      body: sent,
      body_bytes: sent.length,
    });
  });
});
