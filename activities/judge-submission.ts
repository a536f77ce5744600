import { log } from '@temporalio/activity';
import { originalBody, type BodyEncoding } from '../src/domain/decode-body';
import { invalidSubmission } from '../src/domain/reasons';
import { renderRecords, type TransformResult } from '../src/domain/transform-submission';
import { validateSubmission, type ValidationResult } from '../src/domain/validate-submission';
import type { JudgedMessage } from '../workflows/verdicts';
import { pipelineMetrics } from './metrics';
import type { MessageVerdict, ReceivedMessage, RecordDerivation } from './types';

/** How a run judges its messages, everything of a RecordDerivation but the processing time. */
export type JudgingSettings = Omit<RecordDerivation, 'processedAt'>;

type JudgedBody = Pick<ReceivedMessage, 'messageId' | 'body' | 'bodyEncoding' | 'bodyBytes'>;

/**
 * One message validated on its own (one broken submission never affects its neighbours): the submission, or why it
 * is invalid. A body over the size limit travels as null and is invalid as such.
 */
export function validateMessage(message: JudgedBody, settings: JudgingSettings): ValidationResult {
  if (message.body === null) {
    return invalidSubmission(
      'body_too_large',
      `body is ${message.bodyBytes} bytes, limit ${settings.limits.maxBodyBytes}`,
    );
  }
  return validateBody(message.body, message.bodyEncoding, settings);
}

function validateBody(
  body: string,
  bodyEncoding: BodyEncoding | undefined,
  settings: JudgingSettings,
): ValidationResult {
  return validateSubmission(originalBody(body, bodyEncoding), settings.limits, settings.unknownFields);
}

/** A validated message's records with a derivation (processing time included), or the validation's reason. */
export function renderMessage(
  validation: ValidationResult,
  messageId: string,
  derivation: RecordDerivation,
): TransformResult {
  if (!validation.valid) return validation;
  return renderRecords(validation, {
    messageId,
    processedAt: new Date(derivation.processedAt),
    includeProvenance: derivation.includeProvenance,
    partitionKeyField: derivation.partitionKey,
    limits: derivation.limits,
  });
}

/** One message judged with a run's derivation: the records it yields, or why it is invalid. */
export function judgeMessage(message: JudgedBody, derivation: RecordDerivation): TransformResult {
  return renderMessage(validateMessage(message, derivation), message.messageId, derivation);
}

/** A body as a publish input carries it (never null: only valid submissions are published), judged the same way. */
export function judgeBody(
  submission: Pick<ReceivedMessage, 'messageId' | 'bodyEncoding'> & { body: string },
  derivation: RecordDerivation,
): TransformResult {
  return renderMessage(
    validateBody(submission.body, submission.bodyEncoding, derivation),
    submission.messageId,
    derivation,
  );
}

/** What travels through history of a judgement: an event count (the records are derived again when publishing). */
export function verdictOf(result: TransformResult): MessageVerdict {
  if (!result.valid) return { valid: false, reason: result.reason, detail: result.detail };
  return {
    valid: true,
    events: result.records.length,
    ...(result.unknownFields.length > 0 ? { unknownFields: result.unknownFields } : {}),
  };
}

/**
 * Metrics and logs of a batch's verdicts, once per message kept for processing: every invalid message is logged with
 * its bounded detail, unknown fields with one sample per batch (not a flood when a whole fleet upgrades at once).
 */
export function reportVerdicts(judged: JudgedMessage[]): void {
  const metrics = pipelineMetrics();
  let sampled = false;
  let valid = 0;
  for (const { messageId, verdict } of judged) {
    if (!verdict.valid) {
      metrics.invalid(verdict.reason);
      log.warn('invalid submission dropped', { messageId, reason: verdict.reason, detail: verdict.detail });
      continue;
    }
    valid += 1;
    const paths = verdict.unknownFields ?? [];
    if (paths.length === 0) continue;
    if (!sampled) log.warn('unknown fields dropped (not forwarded); submission accepted', { messageId, paths });
    sampled = true;
    for (const path of paths) metrics.unknownField(path);
  }
  metrics.valid(valid);
}
