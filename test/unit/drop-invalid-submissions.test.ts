import type {
  DeleteMessageBatchRequest,
  SendMessageBatchRequest,
  SendMessageBatchRequestEntry,
  SQSClient,
  ServiceInputTypes,
  ServiceOutputTypes,
} from '@aws-sdk/client-sqs';
import { ApplicationFailure } from '@temporalio/common';
import type { MockActivityEnvironment } from '@temporalio/testing';
import { createDropInvalidSubmissions, entryBytes, quarantineRecord } from '../../activities/drop-invalid-submissions';
import type { InvalidMessage } from '../../activities/types';
import { QUARANTINE_INCOMPLETE } from '../../workflows/failure-types';
import { stubbedSqs } from '../helpers/stub-sqs';
import { quietActivityEnvironment, runActivity } from '../helpers/temporal';

// The request limit these tests hold SQS to: 256 KiB, the limit of queues whose maximum message size was never raised
// (fauxqs enforces 1 MiB, so the emulator cannot show it).
const LIMIT = 262_144;
const QUARANTINE_URL = 'http://127.0.0.1:9/000000000000/quarantine';

function invalid(i: number, bodyBytes: number): InvalidMessage {
  const body = 'x'.repeat(bodyBytes);
  return { messageId: `m${i}`, receiptHandle: `rh${i}`, reason: 'invalid_json', detail: 'd', body, bodyBytes };
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
      deleted.push(...entries.filter((e) => ok.has(e.Id)).map((e) => (e.ReceiptHandle ?? '').replace('rh', 'm')));
      return { output, response: {} };
    },
    { step: 'initialize', name: 'stubbedDelete' },
  );
  return { sqs, copies, requestBytes, deleted, sendCalls };
}

function dropActivity(sqs: SQSClient) {
  return createDropInvalidSubmissions({
    sqs,
    queueUrl: 'http://127.0.0.1:9/000000000000/q',
    quarantineQueueUrl: QUARANTINE_URL,
    retry: { initialBackoffMs: 1, maxBackoffMs: 2, maxRoundsWithoutProgress: 3 },
  });
}

/** Runs one attempt and returns its result (or failure) and the last heartbeat it sent. */
async function attempt(
  sqs: SQSClient,
  messages: InvalidMessage[],
  env: MockActivityEnvironment = quietActivityEnvironment(),
): Promise<{ outcome: unknown; lastHeartbeat: unknown }> {
  let lastHeartbeat: unknown;
  env.on('heartbeat', (details: unknown) => (lastHeartbeat = details));
  const outcome = await runActivity(dropActivity(sqs), [{ messages }], env).catch((err: unknown) => err);
  return { outcome, lastHeartbeat };
}

describe('dropInvalidSubmissions: quarantine copies', () => {
  it('sizes requests by bytes: large invalid bodies never make a request SQS refuses as too long', async () => {
    // Ten messages, three of them ~100 KB: one request of ten would be ~300 KB.
    const messages = Array.from({ length: 10 }, (_, i) => invalid(i, i % 4 === 0 ? 100_000 : 200));
    const queues = stubbedQueues(sendWithinLimit);

    const { outcome } = await attempt(queues.sqs, messages);

    expect(outcome).toMatchObject({ quarantined: 10, notQuarantined: 0, deleted: 10 });
    expect(Math.max(...queues.requestBytes)).toBeLessThanOrEqual(LIMIT);
    expect(queues.copies.sort()).toEqual(messages.map((m) => m.messageId).sort());
    expect(queues.deleted.sort()).toEqual(messages.map((m) => m.messageId).sort());
  });

  it('a request refused as too long is split, not retried as is; an entry too long alone is refused for good', async () => {
    // m3 alone exceeds the limit. Every neighbour must still be copied and deleted; m3 stays in the queue (it reaches
    // the dead-letter queue after maxReceiveCount), never deleted without its copy.
    const messages = Array.from({ length: 10 }, (_, i) => invalid(i, i === 3 ? 300_000 : 200));
    const sent: number[] = [];
    const queues = stubbedQueues((input) => {
      sent.push((input as SendMessageBatchRequest).Entries?.length ?? 0);
      return sendWithinLimit(input);
    });

    const { outcome } = await attempt(queues.sqs, messages);

    const neighbours = messages.filter((m) => m.messageId !== 'm3').map((m) => m.messageId);
    expect(outcome).toMatchObject({ quarantined: 9, notQuarantined: 1, deleted: 9 });
    expect(queues.copies.sort()).toEqual(neighbours.sort());
    expect(queues.deleted.sort()).toEqual(neighbours.sort());
    // The oversized entry was sent alone exactly once: splitting, then refusing it, not retrying it.
    expect(sent.filter((n) => n === 1)).toHaveLength(1);
  });

  it('heartbeats after every quarantine request, so a long copy phase never outlives the heartbeat timeout', async () => {
    const messages = Array.from({ length: 25 }, (_, i) => invalid(i, 200));
    const timeline: string[] = [];
    const queues = stubbedQueues((input) => {
      timeline.push(`copy ${(input as SendMessageBatchRequest).Entries?.length ?? 0}`);
      return sendWithinLimit(input);
    });
    const env = quietActivityEnvironment();
    env.on('heartbeat', (details: { quarantine?: { copied: string[] } }) =>
      timeline.push(`heartbeat ${details.quarantine?.copied.length ?? 'none'}`),
    );

    await attempt(queues.sqs, messages, env);

    expect(timeline.slice(0, 6)).toEqual([
      'copy 10',
      'heartbeat 10',
      'copy 10',
      'heartbeat 20',
      'copy 5',
      'heartbeat 25',
    ]);
  });

  it('a retried attempt resumes from its heartbeat: no message copied twice, none deleted uncopied', async () => {
    const messages = Array.from({ length: 15 }, (_, i) => invalid(i, 200));
    const internalError = (): never => {
      throw Object.assign(new Error('internal'), { name: 'InternalError' });
    };

    // Attempt 1: the first request (ten copies) succeeds, then SendMessageBatch keeps failing.
    const first = stubbedQueues((input, call) => (call === 0 ? sendWithinLimit(input) : internalError()));
    const one = await attempt(first.sqs, messages);
    expect(one.outcome).toBeInstanceOf(ApplicationFailure);
    expect((one.outcome as ApplicationFailure).type).toBe(QUARANTINE_INCOMPLETE);
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
    const two = await attempt(second.sqs, messages, quietActivityEnvironment({ heartbeatDetails: one.lastHeartbeat }));
    expect(two.outcome).toBeInstanceOf(ApplicationFailure);

    // Attempt 3: all healthy. The delete phase's heartbeats of attempt 2 must not have erased its copies.
    const third = stubbedQueues(sendWithinLimit);
    const three = await attempt(third.sqs, messages, quietActivityEnvironment({ heartbeatDetails: two.lastHeartbeat }));

    expect(three.outcome).toMatchObject({ quarantined: 15, notQuarantined: 0, deleted: 15 });
    expect(third.sendCalls()).toBe(0);
    const allCopies = [...first.copies, ...second.copies, ...third.copies].sort();
    expect(allCopies).toEqual(messages.map((m) => m.messageId).sort());
    expect(third.deleted.sort()).toEqual(messages.map((m) => m.messageId).sort());
  });
});

describe('quarantineRecord', () => {
  it('holds a base64 body that travelled as its text exactly as the sensor sent it', () => {
    const sent = Buffer.from('{"submission_id":"not-an-uuid"}', 'utf8').toString('base64');
    const message: InvalidMessage = {
      ...invalid(1, 0),
      body: '{"submission_id":"not-an-uuid"}',
      bodyEncoding: 'base64',
      bodyBytes: sent.length,
    };
    const copy: unknown = JSON.parse(quarantineRecord(message, new Date(0)));
    expect(copy).toMatchObject({ body: sent, body_bytes: sent.length });
    // A body without the mark (as received, or scheduled by older code) is copied as it is.
    expect(JSON.parse(quarantineRecord({ ...message, bodyEncoding: undefined }, new Date(0)))).toMatchObject({
      body: '{"submission_id":"not-an-uuid"}',
    });
  });
});
