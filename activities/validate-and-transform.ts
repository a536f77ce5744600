import { log } from '@temporalio/activity';
import { transformSubmission } from '../src/domain/transform-submission';
import type { ActivityDeps } from './deps';
import { pipelineMetrics } from './metrics';
import type { TransformedBatch, TransformRequest } from './types';

/**
 * Validates every message on its own (one broken submission never affects its neighbours) and turns the valid ones
 * into serialized events. Pure work over the domain layer; the activity only adds the clock and logging.
 */
export function createValidateAndTransform(deps: Pick<ActivityDeps, 'limits' | 'now'>) {
  const now = deps.now ?? (() => new Date());
  return async function validateAndTransform(request: TransformRequest): Promise<TransformedBatch> {
    const processedAt = now();
    const metrics = pipelineMetrics();
    const batch: TransformedBatch = { valid: [], invalid: [] };
    for (const message of request.messages) {
      const result =
        message.body === null
          ? ({
              valid: false,
              reason: 'body_too_large',
              detail: `body is ${message.bodyBytes} bytes, limit ${deps.limits.maxBodyBytes}`,
            } as const)
          : transformSubmission(message.body, {
              messageId: message.messageId,
              processedAt,
              includeProvenance: request.includeProvenance,
              partitionKeyField: request.partitionKey,
              limits: deps.limits,
            });
      if (result.valid) {
        batch.valid.push({
          messageId: message.messageId,
          submissionId: result.submissionId,
          deviceId: result.deviceId,
          partitionKey: result.partitionKey,
          records: result.records,
        });
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
    return batch;
  };
}
