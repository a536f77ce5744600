import { z } from 'zod';

// Kinesis caps one record (data blob + partition key) at 1 MiB; a larger limit would only move the failure to
// PutRecords, where it is a retryable-looking error instead of a clear reason code.
export const KINESIS_MAX_RECORD_BYTES = 1_048_576;

// SQS caps a message body at 1 MiB; a body limit above that could never be reached.
export const SQS_MAX_BODY_BYTES = 1_048_576;

// The deepest valid submission is 4 levels (root → events → list → entry); a lower limit would reject valid input.
export const MIN_NESTING_DEPTH = 4;

export const validationLimitsSchema = z.strictObject({
  maxBodyBytes: z.int().min(1).max(SQS_MAX_BODY_BYTES).default(262_144),
  maxEventsPerSubmission: z.int().min(1).default(1000),
  // Applies to cmdl and user, counted in UTF-16 code units (JavaScript string length).
  maxFieldLength: z.int().min(1).default(8192),
  maxNestingDepth: z.int().min(MIN_NESTING_DEPTH).default(32),
  maxRecordBytes: z.int().min(1).max(KINESIS_MAX_RECORD_BYTES).default(KINESIS_MAX_RECORD_BYTES),
});

export type ValidationLimits = z.infer<typeof validationLimitsSchema>;
export type ValidationLimitsInput = z.input<typeof validationLimitsSchema>;

export const DEFAULT_VALIDATION_LIMITS: ValidationLimits = Object.freeze(validationLimitsSchema.parse({}));
