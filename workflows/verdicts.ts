import type { MessageVerdict, RecordDerivation, TransformedBatch, UnknownFieldCounts } from '../activities/types';
import { MAX_UNKNOWN_PATHS } from '../src/domain/unknown-fields';
import { addBounded } from './run-summary';

export interface JudgedMessage {
  messageId: string;
  verdict: MessageVerdict;
}

/**
 * A batch's verdicts in the shape of a validate result: valid submissions with their event counts, invalid ones with
 * their reasons, the unknown fields the valid ones dropped. Pure: the workflow builds it from the receive step's
 * verdicts, the validate step (runs that still schedule it) from its own.
 */
export function batchFromVerdicts(judged: JudgedMessage[], derivation: RecordDerivation): TransformedBatch {
  const batch: TransformedBatch = { valid: [], invalid: [], derivation };
  const unknown: UnknownFieldCounts = { submissions: 0, byPath: {} };
  for (const { messageId, verdict } of judged) {
    if (!verdict.valid) {
      batch.invalid.push({ messageId, reason: verdict.reason, detail: verdict.detail });
      continue;
    }
    batch.valid.push({ messageId, events: verdict.events });
    if (!verdict.unknownFields?.length) continue;
    unknown.submissions += 1;
    for (const path of verdict.unknownFields) addBounded(unknown.byPath, path, MAX_UNKNOWN_PATHS);
  }
  if (unknown.submissions > 0) batch.unknownFields = unknown;
  return batch;
}

/** The receive step's verdicts on `messages`, or undefined when any lacks one (a receive of older code or worker). */
export function receivedVerdicts(
  messages: { messageId: string; verdict?: MessageVerdict }[],
  derivation: RecordDerivation | undefined,
): TransformedBatch | undefined {
  if (!derivation) return undefined;
  const judged: JudgedMessage[] = [];
  for (const { messageId, verdict } of messages) {
    if (!verdict) return undefined;
    judged.push({ messageId, verdict });
  }
  return batchFromVerdicts(judged, derivation);
}
