import { log } from '@temporalio/activity';
import { originalBody } from '../src/domain/decode-body';
import { transformSubmission, type TransformResult } from '../src/domain/transform-submission';
import type { JudgedMessage } from '../workflows/verdicts';
import { pipelineMetrics } from './metrics';
import type { MessageVerdict, ReceivedMessage, RecordDerivation } from './types';

/**
 * One message judged on its own (one broken submission never affects its neighbours) with a run's derivation: the
 * records it yields, or why it is invalid. A body over the size limit travels as null and is invalid as such.
 */
export function judgeMessage(
  message: Pick<ReceivedMessage, 'messageId' | 'body' | 'bodyEncoding' | 'bodyBytes'>,
  derivation: RecordDerivation,
): TransformResult {
  if (message.body === null) {
    return {
      valid: false,
      reason: 'body_too_large',
      detail: `body is ${message.bodyBytes} bytes, limit ${derivation.limits.maxBodyBytes}`,
    };
  }
  return transformSubmission(originalBody(message.body, message.bodyEncoding), {
    messageId: message.messageId,
    processedAt: new Date(derivation.processedAt),
    includeProvenance: derivation.includeProvenance,
    partitionKeyField: derivation.partitionKey,
    limits: derivation.limits,
    unknownFields: derivation.unknownFields,
  });
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
