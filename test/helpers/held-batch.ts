import type { HeldMessage, MessageHold } from '../../activities/message-hold';
import type { InvalidReason } from '../../src/domain/reasons';

/**
 * Held messages made directly (no SQS receive), for unit tests of the steps that work on a held batch: a message as
 * the receive keeps it, with its validation already made when the test skips the validate step.
 */
export function heldMessage(messageId: string, body: string, overrides: Partial<HeldMessage> = {}): HeldMessage {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    receivedAtMs: Date.now(),
    identityId: messageId,
    body,
    bodyBytes: Buffer.byteLength(body, 'utf8'),
    sentAtMs: null,
    receiveCount: 1,
    firstReceivedAtMs: null,
    ...overrides,
  };
}

/** A valid message with `records` events to publish (one-line stand-ins for rendered events). */
export function validHeld(messageId: string, records = 1, overrides: Partial<HeldMessage> = {}): HeldMessage {
  return heldMessage(messageId, `{"id":"${messageId}"}`, {
    validation: {
      valid: true,
      submission: {
        messageId,
        partitionKey: `pk-${messageId}`,
        records: Array.from({ length: records }, (_, i) => `${messageId}#${i}`),
        sentAtMs: null,
      },
    },
    ...overrides,
  });
}

export function invalidHeld(
  messageId: string,
  body: string,
  reason: InvalidReason = 'invalid_json',
  detail = 'd',
): HeldMessage {
  return heldMessage(messageId, body, { validation: { valid: false, reason, detail } });
}

/**
 * Holds messages as one batch and marks, per message id, how many of its records are acknowledged (as a publish
 * would have left them). Returns the batch id.
 */
export async function holdBatch(
  hold: MessageHold,
  messages: HeldMessage[],
  acknowledged: Record<string, number> = {},
  visibilityTimeoutSeconds = 300,
): Promise<string> {
  const batchId = hold.hold(messages, visibilityTimeoutSeconds);
  await hold.use(batchId, (batch) => {
    Object.assign(batch.progress, acknowledged);
    return Promise.resolve();
  });
  return batchId;
}

/** Every record of every valid message acknowledged: what a finished publish leaves. */
export function allPublished(messages: HeldMessage[]): Record<string, number> {
  return Object.fromEntries(
    messages.flatMap((m) => (m.validation?.valid ? [[m.messageId, m.validation.submission.records.length]] : [])),
  );
}

/** Ids of the messages a batch still holds, or undefined once the hold let it go. */
export async function heldIds(hold: MessageHold, batchId: string): Promise<string[] | undefined> {
  return hold.use(batchId, (batch) => Promise.resolve([...batch.messages.keys()])).catch(() => undefined);
}
