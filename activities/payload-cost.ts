import type { TransformResult } from '../src/domain/transform-submission';
import type { InvalidMessage, LeasedMessage, ReceivedMessage, SubmissionToPublish } from './types';

/**
 * Bytes Temporal stores for `value` as one payload: its JSON converter writes JSON.stringify's text as UTF-8, so this
 * counts escapes exactly (test/unit/receive-verdicts.test.ts holds it to the converter) without building the bytes.
 */
export function encodedBytes(value: unknown): number {
  const json: unknown = value === undefined ? undefined : JSON.stringify(value);
  return typeof json === 'string' ? Buffer.byteLength(json, 'utf8') : 0;
}

/**
 * The most a message adds to any one payload of its batch, as Temporal stores it: its entry in the receive result
 * (the body as it travels, see bodyForTransit, with its verdict when the receive judged it) and in the validate input
 * of runs that still validate separately, its verdict in the validate result (a message id and a count, or a reason:
 * never more than the drop-invalid entry below), its entry in the publish input (the body again, with its event count;
 * the records are derived inside the activity and never stored) plus its lease entry, or its entry in the drop-invalid
 * input. +1 per array entry for the separating comma. Summing this over a batch bounds every payload of that batch
 * (the envelope aside: the batch's one derivation object is small and fixed). `judged` is the message's judgement
 * (activities/judge-submission.ts), made once by the caller.
 */
export function messagePayloadCost(message: ReceivedMessage, judged: TransformResult): number {
  if (message.body === null) return encodedBytes(message) + 1 + invalidDetailAllowance;
  // The body dominates every entry: encoded once, then each entry is costed with an empty body in its place.
  const entryBytes = entryCoster(message.body);
  const receivedEntry = entryBytes(message) + 1;
  if (!judged.valid) {
    const dropped: InvalidMessage = {
      messageId: message.messageId,
      receiptHandle: message.receiptHandle,
      reason: judged.reason,
      detail: judged.detail,
      body: message.body,
      ...(message.bodyEncoding ? { bodyEncoding: message.bodyEncoding } : {}),
      bodyBytes: message.bodyBytes,
    };
    return Math.max(receivedEntry, entryBytes(dropped) + 1);
  }
  const toPublish: SubmissionToPublish = {
    messageId: message.messageId,
    body: message.body,
    ...(message.bodyEncoding ? { bodyEncoding: message.bodyEncoding } : {}),
    events: judged.records.length,
    sentAtMs: message.sentAtMs,
  };
  const publishEntry = entryBytes(toPublish) + 1;
  const lease: LeasedMessage = {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    receivedAtMs: message.receivedAtMs,
  };
  return Math.max(receivedEntry, publishEntry + encodedBytes(lease) + 1);
}

/**
 * Exact encoded bytes of entries carrying `body`, the body encoded once: JSON encodes a string field the same wherever
 * it sits, so an entry costs what it costs with an empty body, plus the body's encoding, minus the empty string's.
 */
function entryCoster(body: string): (entry: { body: string | null }) => number {
  const difference = encodedBytes(body) - encodedBytes('');
  return (entry) => encodedBytes({ ...entry, body: '' }) + difference;
}

// A body over the size limit travels as null and comes back with a one-line reason: bounded, small.
const invalidDetailAllowance = 256;
