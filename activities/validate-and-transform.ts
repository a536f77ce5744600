import { log } from '@temporalio/activity';
import { transformSubmission } from '../src/domain/transform-submission';
import { MAX_UNKNOWN_PATHS } from '../src/domain/unknown-fields';
import { addBounded } from '../workflows/run-summary';
import type { ActivityDeps } from './deps';
import { pipelineMetrics } from './metrics';
import type { TransformedBatch, TransformRequest, UnknownFieldCounts } from './types';

/**
 * Validates every message on its own (one broken submission never affects its neighbours) and turns the valid ones
 * into serialized events. Pure work over the domain layer; the activity only adds the clock and logging. The run's
 * limits and unknown-field policy come with the request, so every worker judges a run's messages alike.
 */
export function createValidateAndTransform(deps: Pick<ActivityDeps, 'limits' | 'now'>) {
  const now = deps.now ?? (() => new Date());
  return async function validateAndTransform(request: TransformRequest): Promise<TransformedBatch> {
    const processedAt = now();
    const limits = request.limits ?? deps.limits;
    const metrics = pipelineMetrics();
    const batch: TransformedBatch = { valid: [], invalid: [] };
    const unknown: UnknownFieldCounts = { submissions: 0, byPath: {} };
    for (const message of request.messages) {
      const result =
        message.body === null
          ? ({
              valid: false,
              reason: 'body_too_large',
              detail: `body is ${message.bodyBytes} bytes, limit ${limits.maxBodyBytes}`,
            } as const)
          : transformSubmission(message.body, {
              messageId: message.messageId,
              processedAt,
              includeProvenance: request.includeProvenance,
              partitionKeyField: request.partitionKey,
              limits,
              unknownFields: request.unknownFields,
            });
      if (result.valid) {
        batch.valid.push({
          messageId: message.messageId,
          submissionId: result.submissionId,
          deviceId: result.deviceId,
          partitionKey: result.partitionKey,
          records: result.records,
        });
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
