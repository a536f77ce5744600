import { MAX_UNKNOWN_PATHS } from '../src/domain/unknown-fields';
import { addBounded } from '../src/contracts/bounded-counts';
import type { ActivityDeps } from './deps';
import { validateMessage, reportValidations, type MessageValidation } from './validate-message';
import type { HeldMessage } from './message-hold';
import type { ValidatedBatch, ValidateRequest } from '../src/contracts/batch-steps';

/** Invalid messages named in a batch's result; the rest are counted (history stays small). */
export const MAX_INVALID_SAMPLES_PER_BATCH = 10;

/**
 * Validates every held message of a batch and derives the valid ones' records, once: they stay with the batch for
 * its publish. The processing time is taken here, after the receive ended, so time_created is never before a
 * submission was sent. A retried attempt keeps the validations already made (same records, same times).
 */
export function createValidateSubmissions(deps: Pick<ActivityDeps, 'hold' | 'limits' | 'now'>) {
  const now = deps.now ?? (() => new Date());
  return async function validateSubmissions(request: ValidateRequest): Promise<ValidatedBatch> {
    return deps.hold.use(request.batchId, async (batch) => {
      const settings = { ...request, limits: request.limits ?? deps.limits };
      const processedAt = now();
      const fresh: { message: HeldMessage; validation: MessageValidation }[] = [];
      const result = emptyValidatedBatch();
      for (const message of batch.messages.values()) {
        if (!message.validation) {
          message.validation = validateMessage(message, settings, processedAt);
          fresh.push({ message, validation: message.validation });
        }
        countValidation(result, message);
      }
      reportValidations(fresh);
      return result;
    });
  };
}

export function emptyValidatedBatch(): ValidatedBatch {
  return {
    valid: 0,
    invalid: 0,
    events: 0,
    invalidByReason: {},
    invalidSamples: [],
    unknownFieldSubmissions: 0,
    unknownFieldsByPath: {},
  };
}

function countValidation(result: ValidatedBatch, message: HeldMessage): void {
  const { validation } = message;
  if (!validation) return;
  if (!validation.valid) {
    result.invalid += 1;
    result.invalidByReason[validation.reason] = (result.invalidByReason[validation.reason] ?? 0) + 1;
    if (result.invalidSamples.length < MAX_INVALID_SAMPLES_PER_BATCH) {
      result.invalidSamples.push({ messageId: message.messageId, reason: validation.reason });
    }
    return;
  }
  result.valid += 1;
  result.events += validation.submission.records.length;
  const paths = validation.unknownFields ?? [];
  if (paths.length === 0) return;
  result.unknownFieldSubmissions += 1;
  for (const path of paths) addBounded(result.unknownFieldsByPath, path, MAX_UNKNOWN_PATHS);
}
