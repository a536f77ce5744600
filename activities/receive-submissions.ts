import { ChangeMessageVisibilityBatchCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { log } from '@temporalio/activity';
import type { ValidationLimits } from '../src/domain/limits';
import { transformSubmission } from '../src/domain/transform-submission';
import type { ActivityDeps } from './deps';
import { toApplicationFailure } from './aws-failure';
import { pipelineMetrics } from './metrics';
import type { ReceivedBatch, ReceivedMessage, ReceiveRequest } from './types';

/**
 * What a message adds to the batch's payloads: its body, or the events it becomes if they are larger (tiny events
 * grow several times when they gain id, type, device and time). Measured with the real transform, so the byte budget
 * bounds every payload of the batch, not only this activity's result.
 */
function payloadCost(message: ReceivedMessage, limits: ValidationLimits): number {
  if (message.body === null) return 0;
  const result = transformSubmission(message.body, {
    messageId: message.messageId,
    processedAt: new Date(0),
    includeProvenance: true,
    partitionKeyField: 'device_id',
    limits,
  });
  const eventBytes = result.valid ? result.records.reduce((sum, r) => sum + Buffer.byteLength(r, 'utf8'), 0) : 0;
  return Math.max(message.bodyBytes, eventBytes);
}

function toReceived(message: Message, maxBodyBytes: number, receivedAtMs: number): ReceivedMessage | undefined {
  if (!message.MessageId || !message.ReceiptHandle) return undefined;
  const body = message.Body ?? '';
  const bodyBytes = Buffer.byteLength(body, 'utf8');
  const sentAt = Number(message.Attributes?.SentTimestamp);
  return {
    messageId: message.MessageId,
    receiptHandle: message.ReceiptHandle,
    body: bodyBytes > maxBodyBytes ? null : body,
    bodyBytes,
    sentAtMs: Number.isFinite(sentAt) ? sentAt : null,
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 1),
    receivedAtMs,
  };
}

/**
 * Receives up to `receives` × `maxNumberOfMessages` messages, keeping the bodies under `byteBudget` so the result
 * stays far from Temporal's payload limit. Messages past the budget are made visible again at once (not left hidden
 * for a whole visibility timeout). Bodies over the validation size limit travel as null: they are invalid anyway.
 */
export function createReceiveSubmissions(deps: ActivityDeps) {
  return async function receiveSubmissions(request: ReceiveRequest): Promise<ReceivedBatch> {
    const byId = new Map<string, ReceivedMessage>();
    const overBudget: ReceivedMessage[] = [];
    let budgetUsed = 0;

    for (let i = 0; i < request.receives && overBudget.length === 0; i++) {
      let messages: Message[];
      const requestedAtMs = Date.now();
      try {
        const response = await deps.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: deps.queueUrl,
            MaxNumberOfMessages: request.maxNumberOfMessages,
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
        if (byId.size === 0) throw toApplicationFailure(err, 'ReceiveMessage');
        log.warn('ReceiveMessage failed mid-batch; keeping the messages already received', {
          received: byId.size,
          error: String(err),
        });
        break;
      }
      if (messages.length === 0) break;

      for (const message of messages) {
        const received = toReceived(message, deps.limits.maxBodyBytes, requestedAtMs);
        if (!received) continue;
        const previous = byId.get(received.messageId);
        if (previous) {
          // At-least-once delivery can hand us the same message twice; only the newest receipt handle deletes it.
          previous.receiptHandle = received.receiptHandle;
          continue;
        }
        const cost = payloadCost(received, deps.limits);
        if (byId.size > 0 && budgetUsed + cost > request.byteBudget) {
          overBudget.push(received);
          continue;
        }
        budgetUsed += cost;
        byId.set(received.messageId, received);
      }
    }

    await releaseMessages(deps, overBudget);
    const batch: ReceivedBatch = { messages: [...byId.values()], releasedOverBudget: overBudget.length };
    const metrics = pipelineMetrics();
    metrics.received(batch.messages.length);
    metrics.releasedOverBudget(batch.releasedOverBudget);
    if (batch.messages.length > 0) {
      log.info('received submissions', {
        messages: batch.messages.length,
        bodyBytes: budgetUsed,
        released: overBudget.length,
      });
    }
    return batch;
  };
}

/** Visibility 0 hands the messages straight back to the queue for the next batch. Best effort: on failure they
 * simply reappear when their visibility timeout ends. */
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
