import { log } from '@temporalio/activity';
import { originalBody } from '../src/domain/decode-body';
import { transformSubmission } from '../src/domain/transform-submission';
import { DEFAULT_UNKNOWN_FIELD_POLICY, MAX_UNKNOWN_PATHS } from '../src/domain/unknown-fields';
import { addBounded } from '../workflows/run-summary';
import type { ActivityDeps } from './deps';
import { pipelineMetrics } from './metrics';
import type { RecordDerivation, TransformedBatch, TransformRequest, UnknownFieldCounts } from './types';

/**
 * Validates every message on its own (one broken submission never affects its neighbours) and transforms the valid
 * ones, returning a verdict per message rather than the records: the records are derived again by the publish step
 * from the body it already carries, with the batch's `derivation` (the settings and processing time used here), so
 * they do not cross the history twice. Pure work over the domain layer; the activity only adds the clock and logging.
 * The run's limits and unknown-field policy come with the request, so every worker judges a run's messages alike.
 */
export function createValidateAndTransform(deps: Pick<ActivityDeps, 'limits' | 'now'>) {
  const now = deps.now ?? (() => new Date());
  return async function validateAndTransform(request: TransformRequest): Promise<TransformedBatch> {
    const processedAt = now();
    const derivation: RecordDerivation = {
      processedAt: processedAt.toISOString(),
      partitionKey: request.partitionKey,
      includeProvenance: request.includeProvenance,
      unknownFields: request.unknownFields ?? DEFAULT_UNKNOWN_FIELD_POLICY,
      limits: request.limits ?? deps.limits,
    };
    const { limits } = derivation;
    const metrics = pipelineMetrics();
    const batch: TransformedBatch = { valid: [], invalid: [], derivation };
    const unknown: UnknownFieldCounts = { submissions: 0, byPath: {} };
    for (const message of request.messages) {
      const result =
        message.body === null
          ? ({
              valid: false,
              reason: 'body_too_large',
              detail: `body is ${message.bodyBytes} bytes, limit ${limits.maxBodyBytes}`,
            } as const)
          : transformSubmission(originalBody(message.body, message.bodyEncoding), {
              messageId: message.messageId,
              processedAt,
              includeProvenance: derivation.includeProvenance,
              partitionKeyField: derivation.partitionKey,
              limits,
              unknownFields: derivation.unknownFields,
            });
      if (result.valid) {
        batch.valid.push({ messageId: message.messageId, events: result.records.length });
        if (result.unknownFields.length > 0) {
          // One log line per batch: a sample, not a flood, when a whole fleet upgrades at once.
          if (unknown.submissions === 0) {
            log.warn('unknown fields dropped (not forwarded); submission accepted', {
              messageId: message.messageId,
              paths: result.unknownFields,
            });
          }
          unknown.submissions += 1;
          for (const path of result.unknownFields) {
            addBounded(unknown.byPath, path, MAX_UNKNOWN_PATHS);
            metrics.unknownField(path);
          }
        }
      } else {
        batch.invalid.push({ messageId: message.messageId, reason: result.reason, detail: result.detail });
        metrics.invalid(result.reason);
        log.warn('invalid submission dropped', {
          messageId: message.messageId,
          reason: result.reason,
          detail: result.detail,
        });
      }
    }
    metrics.valid(batch.valid.length);
    if (unknown.submissions > 0) batch.unknownFields = unknown;
    return batch;
  };
}
