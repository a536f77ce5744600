import { toEvents, type RenderContext } from './events';
import { DEFAULT_VALIDATION_LIMITS, type ValidationLimits } from './limits';
import { partitionKeyFor, type PartitionKeyField } from './partition-key';
import { invalidSubmission, type InvalidSubmission } from './reasons';
import type { UnknownFieldPolicy } from './unknown-fields';
import { validateSubmission, type Validation } from './validate-submission';

export type RenderedSubmission =
  | {
      valid: true;
      submissionId: string;
      deviceId: string;
      partitionKey: string;
      records: string[];
      /** Paths of unknown fields dropped under the `accept` policy. */
      unknownFields: string[];
    }
  | InvalidSubmission;

export interface RenderSubmissionContext extends RenderContext {
  partitionKeyField: PartitionKeyField;
  limits?: ValidationLimits;
  unknownFields?: UnknownFieldPolicy;
}

// One message body in, the exact Kinesis records out (or one reason). Every record is sized here, before anything
// is published, because a submission is valid or invalid as a whole (docs/contract.md#input): discovering an oversized record in
// the middle of publishing would leave half a submission on the stream.
export function renderSubmission(body: string, ctx: RenderSubmissionContext): RenderedSubmission {
  const validation = validateSubmission(body, ctx.limits ?? DEFAULT_VALIDATION_LIMITS, ctx.unknownFields);
  if (!validation.valid) return validation;
  return renderRecords(validation, ctx);
}

/** A submission that passed validation. */
type ValidatedSubmission = Extract<Validation, { valid: true }>;

/** The records of a validated submission at `ctx.processedAt`, each sized against the record limit. */
function renderRecords(validation: ValidatedSubmission, ctx: RenderSubmissionContext): RenderedSubmission {
  const limits = ctx.limits ?? DEFAULT_VALIDATION_LIMITS;
  const { submission } = validation;
  const partitionKey = partitionKeyFor(submission, ctx.partitionKeyField);
  // Kinesis counts the partition key's UTF-8 bytes towards the record limit.
  const partitionKeyBytes = Buffer.byteLength(partitionKey, 'utf8');
  const records: string[] = [];
  for (const event of toEvents(submission, ctx)) {
    const record = JSON.stringify(event);
    const recordBytes = Buffer.byteLength(record, 'utf8') + partitionKeyBytes;
    if (recordBytes > limits.maxRecordBytes) {
      return invalidSubmission(
        'record_too_large',
        `event ${records.length} (${event.type}) is ${recordBytes} bytes with its partition key, over the limit of ${limits.maxRecordBytes}`,
      );
    }
    records.push(record);
  }
  return {
    valid: true,
    submissionId: submission.submission_id,
    deviceId: submission.device_id,
    partitionKey,
    records,
    unknownFields: validation.unknownFields,
  };
}
