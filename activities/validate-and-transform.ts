import { DEFAULT_UNKNOWN_FIELD_POLICY } from '../src/domain/unknown-fields';
import type { ActivityDeps } from './deps';
import { judgeMessage, reportVerdicts, verdictOf } from './judge-submission';
import type { RecordDerivation, TransformedBatch, TransformRequest } from './types';
import { batchFromVerdicts } from '../workflows/verdicts';

/**
 * Validates every message on its own (one broken submission never affects its neighbours) and transforms the valid
 * ones, returning a verdict per message rather than the records: the records are derived again by the publish step
 * from the body it already carries, with the batch's `derivation` (the settings and processing time used here), so
 * they do not cross the history twice. Runs of current code get these verdicts from the receive step instead
 * (ReceiveRequest.verdicts); this step serves runs of older code and a receive answered by a worker without verdicts.
 * The run's limits and unknown-field policy come with the request, so every worker judges a run's messages alike.
 */
export function createValidateAndTransform(deps: Pick<ActivityDeps, 'limits' | 'now'>) {
  const now = deps.now ?? (() => new Date());
  return async function validateAndTransform(request: TransformRequest): Promise<TransformedBatch> {
    const derivation: RecordDerivation = {
      processedAt: now().toISOString(),
      partitionKey: request.partitionKey,
      includeProvenance: request.includeProvenance,
      unknownFields: request.unknownFields ?? DEFAULT_UNKNOWN_FIELD_POLICY,
      limits: request.limits ?? deps.limits,
    };
    const judged = request.messages.map((message) => ({
      messageId: message.messageId,
      verdict: verdictOf(judgeMessage(message, derivation)),
    }));
    reportVerdicts(judged);
    return batchFromVerdicts(judged, derivation);
  };
}
