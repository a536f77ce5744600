import { z } from 'zod';

// Kinesis caps one record (data blob + partition key) at 1 MiB; a larger limit would only move the failure to
// PutRecords, where it is a retryable-looking error instead of a clear reason code.
export const KINESIS_MAX_RECORD_BYTES = 1_048_576;

// SQS caps a message body at 1 MiB; a body limit above that could never be reached.
export const SQS_MAX_BODY_BYTES = 1_048_576;

// The deepest valid submission is 4 levels (root → events → list → entry); a lower limit would reject valid input.
export const MIN_NESTING_DEPTH = 4;

// The allowed range of every limit, shared by the options schema and the environment schema so the two can never
// disagree. The upper bounds are what the transport allows (SQS body, Kinesis record) or, for counts and depth, far
// beyond any real sensor while still bounding the work one message can cause.
export const VALIDATION_LIMIT_RANGES = Object.freeze({
  maxBodyBytes: { min: 1, max: SQS_MAX_BODY_BYTES },
  maxEventsPerSubmission: { min: 1, max: 100_000 },
  // Applies to cmdl and user, counted in UTF-16 code units (JavaScript string length); no field outlives its body.
  maxFieldLength: { min: 1, max: SQS_MAX_BODY_BYTES },
  maxNestingDepth: { min: MIN_NESTING_DEPTH, max: 1000 },
  maxRecordBytes: { min: 1, max: KINESIS_MAX_RECORD_BYTES },
});

const limit = (range: { min: number; max: number }, fallback: number) =>
  z.int().min(range.min).max(range.max).default(fallback);

export const validationLimitsSchema = z.strictObject({
  maxBodyBytes: limit(VALIDATION_LIMIT_RANGES.maxBodyBytes, 262_144),
  maxEventsPerSubmission: limit(VALIDATION_LIMIT_RANGES.maxEventsPerSubmission, 1000),
  maxFieldLength: limit(VALIDATION_LIMIT_RANGES.maxFieldLength, 8192),
  maxNestingDepth: limit(VALIDATION_LIMIT_RANGES.maxNestingDepth, 32),
  maxRecordBytes: limit(VALIDATION_LIMIT_RANGES.maxRecordBytes, KINESIS_MAX_RECORD_BYTES),
});

export type ValidationLimits = z.infer<typeof validationLimitsSchema>;
export type ValidationLimitsInput = z.input<typeof validationLimitsSchema>;

export const DEFAULT_VALIDATION_LIMITS: ValidationLimits = Object.freeze(validationLimitsSchema.parse({}));

// Same wording as src/config/environment.ts, so every variable's error reads alike.
const envLimit = (key: keyof ValidationLimits) => {
  const { min, max } = VALIDATION_LIMIT_RANGES[key];
  return z.coerce
    .number({ error: `must be an integer ${min}–${max}` })
    .int({ error: `must be an integer ${min}–${max}` })
    .min(min, { error: `must be ${min}–${max}` })
    .max(max, { error: `must be ${min}–${max}` })
    .default(DEFAULT_VALIDATION_LIMITS[key]);
};

// A fragment for the worker's environment schema: spread its `.shape` into the config object. Not strict, so the
// rest of the environment passes through untouched.
export const validationLimitsEnvSchema = z.object({
  MAX_BODY_BYTES: envLimit('maxBodyBytes'),
  MAX_EVENTS_PER_SUBMISSION: envLimit('maxEventsPerSubmission'),
  MAX_FIELD_LENGTH: envLimit('maxFieldLength'),
  MAX_NESTING_DEPTH: envLimit('maxNestingDepth'),
  MAX_RECORD_BYTES: envLimit('maxRecordBytes'),
});

export type ValidationLimitsEnv = z.infer<typeof validationLimitsEnvSchema>;

// Built once at start-up and then shared by every validation (the compiled schema is cached per limits object).
// Parsed again through validationLimitsSchema so a hand-built object gets the same checks as the environment.
export function validationLimitsFromEnv(env: ValidationLimitsEnv): ValidationLimits {
  return Object.freeze(
    validationLimitsSchema.parse({
      maxBodyBytes: env.MAX_BODY_BYTES,
      maxEventsPerSubmission: env.MAX_EVENTS_PER_SUBMISSION,
      maxFieldLength: env.MAX_FIELD_LENGTH,
      maxNestingDepth: env.MAX_NESTING_DEPTH,
      maxRecordBytes: env.MAX_RECORD_BYTES,
    }),
  );
}
