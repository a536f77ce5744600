import { ChangeMessageVisibilityBatchCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { log } from '@temporalio/activity';
import { bodyForTransit } from '../src/domain/decode-body';
import type { ActivityDeps } from './deps';
import { toApplicationFailure } from './aws-failure';
import { pipelineMetrics } from './metrics';
import { TEMPORAL_PAYLOAD_LIMIT_BYTES } from '../workflows/drain-input';
import { DEFAULT_UNKNOWN_FIELD_POLICY } from '../src/domain/unknown-fields';
import type { ValidatedSubmission } from '../src/domain/transform-submission';
import { renderMessage, reportVerdicts, validateMessage, verdictOf, type JudgingSettings } from './judge-submission';
import { messagePayloadCost } from './payload-cost';
import type { JudgedMessage } from '../workflows/verdicts';
import type { MessageGroup, ReceivedBatch, ReceivedMessage, ReceiveRequest, RecordDerivation } from './types';

function toReceived(message: Message, maxBodyBytes: number, receivedAtMs: number): ReceivedMessage | undefined {
  if (!message.MessageId || !message.ReceiptHandle) return undefined;
  const body = message.Body ?? '';
  const bodyBytes = Buffer.byteLength(body, 'utf8');
  const sentAt = Number(message.Attributes?.SentTimestamp);
  return {
    messageId: message.MessageId,
    receiptHandle: message.ReceiptHandle,
    ...(bodyBytes > maxBodyBytes ? { body: null } : bodyForTransit(body)),
    bodyBytes,
    sentAtMs: Number.isFinite(sentAt) ? sentAt : null,
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 1),
    receivedAtMs,
  };
}

/**
 * Receives up to `receives` × `maxNumberOfMessages` messages while their encoded payload cost (activities/
 * payload-cost.ts) stays within `byteBudget`, so no payload of the batch comes near Temporal's limits. Each request
 * asks only for as many messages as the budget left can hold at the largest cost seen so far, and the batch ends
 * when a message does not fit. Such a message is handed back at once if this is its first receive (so it is released
 * at most once: its next receive is not a first one), otherwise kept and returned deferred, for the lane to process
 * next: every receive counts towards the redrive policy, and a valid message must never reach the dead-letter queue
 * without an attempt (G1 no loss). The first message of a batch is always kept, whatever its cost. Bodies over the
 * validation size limit travel as null: they are invalid anyway. A base64 body travels as the JSON text it encodes
 * when that is exactly reversible (bodyForTransit): base64 barely compresses, its text does. Every message kept is
 * judged here (it must be anyway, to cost it exactly); with `verdicts` the judgement travels with it, so the workflow
 * needs no separate validate step.
 */
export function createReceiveSubmissions(deps: ActivityDeps) {
  return async function receiveSubmissions(request: ReceiveRequest): Promise<ReceivedBatch> {
    const settings: JudgingSettings = {
      includeProvenance: request.includeProvenance ?? false,
      partitionKey: request.partitionKey ?? 'device_id',
      unknownFields: request.unknownFields ?? DEFAULT_UNKNOWN_FIELD_POLICY,
      limits: request.limits ?? deps.limits,
    };
    // The processing time is known only once receiving ends (a message may arrive late in a long poll); costs and
    // verdicts do not depend on it (see renderRecords), so messages are judged with a stand-in until then.
    const provisional: RecordDerivation = { processedAt: new Date(0).toISOString(), ...settings };
    const batch = new BatchUnderBudget(request.byteBudget, request.expectedMessageBytes ?? 0);
    const overBudget: CostedMessage[] = [];
    const validated = new Map<string, ValidatedSubmission>();

    for (let i = 0; i < request.receives && overBudget.length === 0; i++) {
      const wanted = batch.messagesThatFit(request.maxNumberOfMessages);
      if (wanted === 0) break;
      let messages: Message[];
      const requestedAtMs = Date.now();
      try {
        const response = await deps.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: deps.queueUrl,
            MaxNumberOfMessages: wanted,
            VisibilityTimeout: request.visibilityTimeoutSeconds,
            // Long-poll only the first request: it decides whether the queue is empty; the rest take what is there.
            WaitTimeSeconds: i === 0 ? request.waitTimeSeconds : 0,
            MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
          }),
        );
        messages = response.Messages ?? [];
      } catch (err) {
        // The first request decides the attempt: failing it hides nothing. A later one must not throw away what the
        // earlier ones already hold: those messages would stay hidden for a whole visibility timeout (seen in the
        // chaos suite as minutes of "empty" queue). Return them; the next batch tries the queue again.
        if (batch.size === 0) throw toApplicationFailure(err, 'ReceiveMessage');
        log.warn('ReceiveMessage failed mid-batch; keeping the messages already received', {
          received: batch.size,
          error: String(err),
        });
        break;
      }
      if (messages.length === 0) break;

      for (const message of messages) {
        const received = toReceived(message, settings.limits.maxBodyBytes, requestedAtMs);
        if (!received) continue;
        // At-least-once delivery can hand us the same message twice; only the newest receipt handle deletes it.
        if (batch.refreshReceipt(received) || refreshReceipt(overBudget, received)) continue;
        // Validated once: the judgement gives both the verdict and the message's exact cost in every payload.
        const validation = validateMessage(received, settings);
        const judged = renderMessage(validation, received.messageId, provisional);
        if (request.verdicts) received.verdict = verdictOf(judged);
        if (request.verdicts && validation.valid) validated.set(received.messageId, validation);
        const costed = { message: received, cost: messagePayloadCost(received, judged) };
        if (!batch.tryAdd(costed)) overBudget.push(costed);
      }
    }

    const { keep, release } = splitOverBudget(overBudget, RECEIVE_RESULT_LIMIT_BYTES - batch.used);
    const deferred = groupWithinBudget(keep, request.byteBudget);
    await releaseMessages(
      deps,
      release.map((m) => m.message),
    );
    const result: ReceivedBatch = {
      messages: batch.messages,
      payloadBytes: batch.used,
      largestMessageBytes: Math.max(batch.largestCost, ...overBudget.map((m) => m.cost)),
      releasedOverBudget: release.length,
      ...(deferred.length > 0 ? { deferred } : {}),
    };
    if (request.verdicts) {
      const kept = [...batch.messages, ...deferred.flatMap((g) => g.messages)];
      result.derivation = judgeKept(deps, kept, validated, settings);
      reportVerdicts(kept.flatMap(judgedMessage));
    }
    const deferredCount = deferred.reduce((sum, g) => sum + g.messages.length, 0);
    const metrics = pipelineMetrics();
    metrics.received(batch.size + deferredCount);
    metrics.releasedOverBudget(release.length);
    if (batch.size > 0) {
      log.info('received submissions', {
        messages: batch.size,
        payloadBytes: batch.used,
        released: release.length,
        deferred: deferredCount,
      });
    }
    return result;
  };
}

/**
 * The kept messages' final judgement, now that receiving has ended: the processing time is now, after every message
 * of the batch arrived (time_created is never before a submission was sent). Valid ones are rendered again with it;
 * their records stay with this worker for its publish of the batch (activities/judged-records.ts).
 */
function judgeKept(
  deps: ActivityDeps,
  kept: ReceivedMessage[],
  validated: Map<string, ValidatedSubmission>,
  settings: JudgingSettings,
): RecordDerivation {
  const derivation: RecordDerivation = { processedAt: (deps.now ?? (() => new Date()))().toISOString(), ...settings };
  for (const message of kept) {
    const validation = validated.get(message.messageId);
    if (!validation) continue;
    const judged = renderMessage(validation, message.messageId, derivation);
    message.verdict = verdictOf(judged);
    if (judged.valid) deps.judgedRecords?.keep(message.messageId, derivation, judged);
  }
  return derivation;
}

function judgedMessage({ messageId, verdict }: ReceivedMessage): JudgedMessage[] {
  return verdict ? [{ messageId, verdict }] : [];
}

interface CostedMessage {
  message: ReceivedMessage;
  cost: number;
}

/**
 * The receive result (batch plus deferred messages) stays under Temporal's 2 MiB payload limit, which the SDK
 * enforces by failing the completion; 64 KiB are left for the envelope.
 */
export const RECEIVE_RESULT_LIMIT_BYTES = TEMPORAL_PAYLOAD_LIMIT_BYTES - 65_536;

/**
 * Over-budget messages received before are kept (deferred) while the result stays within `limit`; first receives are
 * handed back. Only a message received before that finds the result full is handed back a second time: the request
 * sizing makes that need one answer holding about 1 MB of messages received before behind a full batch (counted with
 * the releases, and logged).
 */
function splitOverBudget(
  overBudget: CostedMessage[],
  limit: number,
): { keep: CostedMessage[]; release: CostedMessage[] } {
  const keep: CostedMessage[] = [];
  const release: CostedMessage[] = [];
  let kept = 0;
  for (const m of overBudget) {
    if (m.message.receiveCount > 1 && kept + m.cost <= limit) {
      keep.push(m);
      kept += m.cost;
    } else {
      if (m.message.receiveCount > 1) {
        log.warn('deferred messages fill the receive result; handing one back again', {
          messageId: m.message.messageId,
          receiveCount: m.message.receiveCount,
        });
      }
      release.push(m);
    }
  }
  return { keep, release };
}

/** The batch being filled: the first message always fits; the rest only within the budget. */
class BatchUnderBudget {
  private readonly byId = new Map<string, ReceivedMessage>();
  used = 0;

  constructor(
    private readonly budget: number,
    /** The largest message cost seen: the previous batch's until this one has its own. */
    public largestCost: number,
  ) {}

  get size(): number {
    return this.byId.size;
  }

  get messages(): ReceivedMessage[] {
    return [...this.byId.values()];
  }

  /**
   * How many messages to ask for: as many as the budget left holds at the largest cost seen (all of them before the
   * first), so large submissions are not received only to be handed back (each receive counts towards the redrive).
   */
  messagesThatFit(most: number): number {
    if (this.largestCost === 0) return most;
    const fit = Math.max(0, Math.min(most, Math.floor((this.budget - this.used) / this.largestCost)));
    // An empty batch always asks for one: its first message is kept whatever its cost.
    return this.byId.size === 0 ? Math.max(1, fit) : fit;
  }

  tryAdd({ message, cost }: CostedMessage): boolean {
    if (this.byId.size > 0 && this.used + cost > this.budget) return false;
    this.byId.set(message.messageId, message);
    // The previous batch's hint only sizes the first request; from then on this batch's own costs do.
    this.largestCost = this.byId.size === 1 ? cost : Math.max(this.largestCost, cost);
    this.used += cost;
    return true;
  }

  refreshReceipt(received: ReceivedMessage): boolean {
    const previous = this.byId.get(received.messageId);
    if (previous) previous.receiptHandle = received.receiptHandle;
    return previous !== undefined;
  }
}

function refreshReceipt(held: CostedMessage[], received: ReceivedMessage): boolean {
  const previous = held.find((m) => m.message.messageId === received.messageId);
  if (previous) previous.message.receiptHandle = received.receiptHandle;
  return previous !== undefined;
}

/** Consecutive groups within the budget, in arrival order; a message over the budget forms a group of its own. */
export function groupWithinBudget(messages: CostedMessage[], budget: number): MessageGroup[] {
  const groups: MessageGroup[] = [];
  let current: MessageGroup | undefined;
  for (const { message, cost } of messages) {
    if (!current || current.payloadBytes + cost > budget) {
      current = { messages: [], payloadBytes: 0 };
      groups.push(current);
    }
    current.messages.push(message);
    current.payloadBytes += cost;
  }
  return groups;
}

/** Visibility 0 hands the messages straight back to the queue for the next batch. Best effort: on failure they
 * simply reappear when their visibility timeout ends (their next receive is not a first one either way). */
async function releaseMessages(deps: ActivityDeps, messages: ReceivedMessage[]): Promise<void> {
  for (let start = 0; start < messages.length; start += 10) {
    const chunk = messages.slice(start, start + 10);
    try {
      await deps.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: deps.queueUrl,
          Entries: chunk.map((m, i) => ({ Id: String(i), ReceiptHandle: m.receiptHandle, VisibilityTimeout: 0 })),
        }),
      );
    } catch (err) {
      log.warn('could not release over-budget messages; they reappear after their visibility timeout', {
        count: chunk.length,
        error: String(err),
      });
    }
  }
}
