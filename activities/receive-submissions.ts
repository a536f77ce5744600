import { setTimeout } from 'node:timers/promises';
import { ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { Context, log } from '@temporalio/activity';
import type { ActivityDeps } from './deps';
import { toApplicationFailure } from '../src/aws/failure';
import type { HeldMessage, MessageHold } from './message-hold';
import { pipelineMetrics } from './metrics';
import type { ReceivedBatch, ReceiveRequest } from '../src/contracts/batch-steps';
import { ORIGINAL_MESSAGE_ID_ATTRIBUTE } from '../src/domain/event-id';

/** Time kept back from the activity's start-to-close timeout to return what was received. */
export const RECEIVE_RETURN_MARGIN_MS = 10_000;
/** How often a receive waiting for room in a full hold looks again. */
const ROOM_POLL_MS = 100;

type ReceiveDeps = Pick<ActivityDeps, 'sqs' | 'queueUrl' | 'hold' | 'ownTaskQueue'>;

/**
 * Receives a batch and keeps it on this worker (activities/message-hold.ts): the first request long-polls, the
 * follow-ups take what is there, and the batch grows while answers come back full — up to `receives` ×
 * `maxNumberOfMessages` in a backlog. After a first answer that is not full it waits once (gatherWaitMs) and asks
 * again, so a trickle makes batches of a few messages. It stops early when the hold is full or when the time left is
 * what returning needs (a slow SQS must not end the attempt while it holds messages). History gets the batch's reference,
 * on this worker's own task queue, and its size: never a body (G8).
 */
export function createReceiveSubmissions(deps: ReceiveDeps) {
  return async function receiveSubmissions(request: ReceiveRequest): Promise<ReceivedBatch> {
    const ctx = Context.current();
    const taskQueue = deps.ownTaskQueue ?? ctx.info.taskQueue;
    const deadlineMs = Date.now() + ctx.info.startToCloseTimeoutMs - RECEIVE_RETURN_MARGIN_MS;
    const nothing: ReceivedBatch = { batchId: '', taskQueue, messages: 0, bodyBytes: 0, redelivered: 0 };
    if (!(await roomWithin(deps.hold, request.waitTimeSeconds * 1000))) return { ...nothing, holdFull: true };

    const held = new Map<string, HeldMessage>();
    let bodyBytes = 0;
    let gathered = (request.gatherMs ?? 0) <= 0;
    for (let i = 0; i < request.receives; i++) {
      const leftMs = deadlineMs - Date.now();
      if (i > 0 && (leftMs <= 0 || bodyBytes >= deps.hold.room)) break;
      const requestedAtMs = Date.now();
      let messages: Message[];
      try {
        messages = await receiveOnce(
          deps,
          request,
          i === 0 ? request.waitTimeSeconds : 0,
          i === 0 ? undefined : leftMs,
        );
      } catch (err) {
        // The first request decides the attempt: failing it hides nothing. A later one must not throw away what the
        // earlier ones hold: those messages would stay hidden for a whole visibility timeout.
        if (held.size === 0) throw toApplicationFailure(err, 'ReceiveMessage');
        log.warn('ReceiveMessage failed mid-batch; keeping the messages already received', {
          received: held.size,
          error: String(err),
        });
        break;
      }
      for (const message of messages) {
        const received = toHeld(message, requestedAtMs);
        if (!received) continue;
        // At-least-once delivery can hand us the same message twice; only the newest receipt handle deletes it.
        const previous = held.get(received.messageId);
        if (previous) {
          previous.receiptHandle = received.receiptHandle;
          continue;
        }
        held.set(received.messageId, received);
        bodyBytes += received.bodyBytes;
      }
      if (messages.length === request.maxNumberOfMessages) continue;
      // A trickle (fewer than one full answer held): wait once for the next submissions, so one batch's steps serve
      // several of them (fewer actions per event) at the cost of up to gatherMs of latency.
      if (gathered || held.size === 0 || held.size >= request.maxNumberOfMessages) break;
      gathered = true;
      await setTimeout(gatherWaitMs(request.gatherMs ?? 0, held.values(), Date.now(), deadlineMs));
    }
    if (held.size === 0) return nothing;

    const messages = [...held.values()];
    const batchId = deps.hold.hold(messages, request.visibilityTimeoutSeconds);
    pipelineMetrics().received(messages.length);
    log.debug('received submissions', { batchId, messages: messages.length, bodyBytes });
    return {
      batchId,
      taskQueue,
      messages: messages.length,
      bodyBytes,
      redelivered: messages.filter((m) => m.receiveCount > 1).length,
    };
  };
}

async function receiveOnce(
  deps: ReceiveDeps,
  request: ReceiveRequest,
  waitTimeSeconds: number,
  timeoutMs: number | undefined,
): Promise<Message[]> {
  const response = await deps.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: deps.queueUrl,
      MaxNumberOfMessages: request.maxNumberOfMessages,
      VisibilityTimeout: request.visibilityTimeoutSeconds,
      WaitTimeSeconds: waitTimeSeconds,
      MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount', 'ApproximateFirstReceiveTimestamp'],
      MessageAttributeNames: [ORIGINAL_MESSAGE_ID_ATTRIBUTE],
    }),
    timeoutMs === undefined ? {} : { abortSignal: AbortSignal.timeout(Math.max(1, timeoutMs)) },
  );
  return response.Messages ?? [];
}

/**
 * How long to gather: until the oldest message held was sent gatherMs ago (one that already waited in the queue, e.g.
 * while its lane was busy, waits only the rest), never more than gatherMs nor past the receive's deadline. SQS's
 * clock sets SentTimestamp: a skewed worker clock shortens or lengthens the wait within [0, gatherMs].
 */
export function gatherWaitMs(gatherMs: number, held: Iterable<HeldMessage>, nowMs: number, deadlineMs: number): number {
  let oldestSentAtMs = nowMs;
  for (const message of held) oldestSentAtMs = Math.min(oldestSentAtMs, message.sentAtMs ?? nowMs);
  const untilOldestIsDue = oldestSentAtMs + gatherMs - nowMs;
  return Math.max(0, Math.min(gatherMs, untilOldestIsDue, deadlineMs - nowMs));
}

function toHeld(message: Message, receivedAtMs: number): HeldMessage | undefined {
  if (!message.MessageId || !message.ReceiptHandle) return undefined;
  const body = message.Body ?? '';
  const original = message.MessageAttributes?.[ORIGINAL_MESSAGE_ID_ATTRIBUTE]?.StringValue;
  return {
    messageId: message.MessageId,
    receiptHandle: message.ReceiptHandle,
    receivedAtMs,
    identityId: original && original.length > 0 ? original : message.MessageId,
    body,
    bodyBytes: Buffer.byteLength(body, 'utf8'),
    sentAtMs: timestamp(message.Attributes?.SentTimestamp),
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 1),
    firstReceivedAtMs: timestamp(message.Attributes?.ApproximateFirstReceiveTimestamp),
  };
}

function timestamp(value: string | undefined): number | null {
  const ms = Number(value);
  return value !== undefined && Number.isFinite(ms) ? ms : null;
}

/**
 * True once the hold has room, waiting up to `waitMs` (the receive's own long-poll wait) while it is full: a worker
 * that cannot hold more receives nothing rather than exhausting its memory, and its lane asks again after a wait.
 */
async function roomWithin(hold: MessageHold, waitMs: number): Promise<boolean> {
  const ctx = Context.current();
  const until = Date.now() + waitMs;
  while (hold.room <= 0) {
    if (Date.now() >= until) {
      log.warn('message hold full or worker stopping; receiving nothing', { heldBytes: hold.heldBytes });
      return false;
    }
    await ctx.sleep(ROOM_POLL_MS);
  }
  return true;
}
