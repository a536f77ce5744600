import { defaultPayloadConverter } from '@temporalio/common';
import type { ValidationLimits } from '../src/domain/limits';
import type { PartitionKeyField } from '../src/domain/partition-key';
import { originalBody } from '../src/domain/decode-body';
import { transformSubmission } from '../src/domain/transform-submission';
import type { InvalidMessage, LeasedMessage, ReceivedMessage, SubmissionToPublish } from './types';

/** How the run turns bodies into events: the cost of a message depends on both (provenance fields, key). */
export interface CostContext {
  includeProvenance: boolean;
  partitionKey: PartitionKeyField;
  limits: ValidationLimits;
}

/** Bytes Temporal stores for `value` as one payload: the real JSON converter, so escapes are counted exactly. */
export function encodedBytes(value: unknown): number {
  return defaultPayloadConverter.toPayload(value)?.data?.length ?? 0;
}

/**
 * The most a message adds to any one payload of its batch, as Temporal stores it: its entry in the receive result
 * and the validate input (the body as it travels, see bodyForTransit), its verdict in the validate result (a message
 * id and a count, or a reason: never more than the drop-invalid entry below), its entry in the publish input (the body
 * again, with its event count; the records are derived inside the activity and never stored) plus its lease entry, or
 * its entry in the drop-invalid input. +1 per array entry for the separating comma. Summing this over a batch bounds
 * every payload of that batch (the envelope aside: the batch's one derivation object is small and fixed).
 */
export function messagePayloadCost(message: ReceivedMessage, context: CostContext): number {
  const receivedEntry = encodedBytes(message) + 1;
  if (message.body === null) return receivedEntry + invalidDetailAllowance;
  const result = transformSubmission(originalBody(message.body, message.bodyEncoding), {
    messageId: message.messageId,
    // Same length as any real processing time (ISO 8601, UTC, milliseconds): the cost does not depend on the clock.
    processedAt: new Date(0),
    includeProvenance: context.includeProvenance,
    partitionKeyField: context.partitionKey,
    limits: context.limits,
  });
  if (!result.valid) {
    const dropped: InvalidMessage = {
      messageId: message.messageId,
      receiptHandle: message.receiptHandle,
      reason: result.reason,
      detail: result.detail,
      body: message.body,
      ...(message.bodyEncoding ? { bodyEncoding: message.bodyEncoding } : {}),
      bodyBytes: message.bodyBytes,
    };
    return Math.max(receivedEntry, encodedBytes(dropped) + 1);
  }
  const toPublish: SubmissionToPublish = {
    messageId: message.messageId,
    body: message.body,
    ...(message.bodyEncoding ? { bodyEncoding: message.bodyEncoding } : {}),
    events: result.records.length,
    sentAtMs: message.sentAtMs,
  };
  const publishEntry = encodedBytes(toPublish) + 1;
  const lease: LeasedMessage = {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    receivedAtMs: message.receivedAtMs,
  };
  return Math.max(receivedEntry, publishEntry + encodedBytes(lease) + 1);
}

// A body over the size limit travels as null and comes back with a one-line reason: bounded, small.
const invalidDetailAllowance = 256;
