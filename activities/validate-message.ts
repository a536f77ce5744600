import { log } from '@temporalio/activity';
import { renderSubmission } from '../src/domain/render-submission';
import type { HeldMessage } from './message-hold';
import { pipelineMetrics } from './metrics';
import type { ValidationSettings } from '../src/contracts/batch-steps';

export type MessageValidation = NonNullable<HeldMessage['validation']>;

/**
 * One message validated on its own (one broken submission never affects its neighbours): the records it makes at
 * `processedAt`, with event ids seeded by its identity (G3), or why it is invalid.
 */
export function validateMessage(
  message: HeldMessage,
  settings: ValidationSettings,
  processedAt: Date,
): MessageValidation {
  const rendered = renderSubmission(message.body, {
    messageId: message.identityId,
    processedAt,
    includeProvenance: settings.includeProvenance,
    partitionKeyField: settings.partitionKey,
    limits: settings.limits,
    unknownFields: settings.unknownFields,
  });
  if (!rendered.valid) return { valid: false, reason: rendered.reason, detail: rendered.detail };
  return {
    valid: true,
    submission: {
      messageId: message.messageId,
      partitionKey: rendered.partitionKey,
      records: rendered.records,
      sentAtMs: message.sentAtMs,
    },
    unknownFields: rendered.unknownFields,
  };
}

/**
 * Metrics and logs of fresh validations: every invalid message is logged with its bounded detail (the worker's log, never
 * Temporal), unknown fields with one sample per batch (not a flood when a whole fleet upgrades at once).
 */
export function reportValidations(validated: { message: HeldMessage; validation: MessageValidation }[]): void {
  const metrics = pipelineMetrics();
  let sampled = false;
  let valid = 0;
  for (const { message, validation } of validated) {
    if (!validation.valid) {
      metrics.invalid(validation.reason);
      log.warn('invalid submission dropped', {
        messageId: message.messageId,
        reason: validation.reason,
        detail: validation.detail,
      });
      continue;
    }
    valid += 1;
    const unknownFields = validation.unknownFields ?? [];
    if (unknownFields.length === 0) continue;
    if (!sampled) {
      log.warn('unknown fields dropped (not forwarded); submission accepted', {
        messageId: message.messageId,
        paths: unknownFields,
      });
    }
    sampled = true;
    for (const path of unknownFields) metrics.unknownField(path);
  }
  metrics.valid(valid);
}
