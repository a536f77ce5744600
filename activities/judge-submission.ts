import { log } from '@temporalio/activity';
import { DEFAULT_VALIDATION_LIMITS } from '../src/domain/limits';
import { renderRecords } from '../src/domain/transform-submission';
import { validateSubmission } from '../src/domain/validate-submission';
import type { HeldMessage } from './message-hold';
import { pipelineMetrics } from './metrics';
import type { JudgingSettings } from '../src/contracts/batch-steps';

export type Verdict = NonNullable<HeldMessage['verdict']>;

/**
 * One message judged on its own (one broken submission never affects its neighbours): the records it makes at
 * `processedAt`, with event ids seeded by its identity (G3), or why it is invalid. Pure domain code.
 */
export function judgeMessage(message: HeldMessage, settings: JudgingSettings, processedAt: Date): Verdict {
  const limits = settings.limits ?? DEFAULT_VALIDATION_LIMITS;
  const validation = validateSubmission(message.body, limits, settings.unknownFields);
  if (!validation.valid) return { valid: false, reason: validation.reason, detail: validation.detail };
  const rendered = renderRecords(validation, {
    messageId: message.identityId,
    processedAt,
    includeProvenance: settings.includeProvenance,
    partitionKeyField: settings.partitionKey,
    limits,
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
 * Metrics and logs of fresh verdicts: every invalid message is logged with its bounded detail (the worker's log, never
 * Temporal), unknown fields with one sample per batch (not a flood when a whole fleet upgrades at once).
 */
export function reportVerdicts(judged: { message: HeldMessage; verdict: Verdict }[]): void {
  const metrics = pipelineMetrics();
  let sampled = false;
  let valid = 0;
  for (const { message, verdict } of judged) {
    if (!verdict.valid) {
      metrics.invalid(verdict.reason);
      log.warn('invalid submission dropped', {
        messageId: message.messageId,
        reason: verdict.reason,
        detail: verdict.detail,
      });
      continue;
    }
    valid += 1;
    const unknownFields = verdict.unknownFields ?? [];
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
