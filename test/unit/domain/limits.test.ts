import { z } from 'zod';
import {
  DEFAULT_VALIDATION_LIMITS,
  VALIDATION_LIMIT_RANGES,
  validationLimitsEnvSchema,
  validationLimitsFromEnv,
  validationLimitsSchema,
} from '../../../src/domain';

describe('validationLimitsSchema', () => {
  it('has safe defaults', () => {
    expect(DEFAULT_VALIDATION_LIMITS).toEqual({
      maxBodyBytes: 262_144,
      maxEventsPerSubmission: 1000,
      maxFieldLength: 8192,
      maxNestingDepth: 32,
      maxRecordBytes: 1_048_576,
    });
  });

  it.each([
    ['a record limit above the Kinesis maximum', { maxRecordBytes: 1_048_577 }],
    ['a body limit above the SQS maximum', { maxBodyBytes: 1_048_577 }],
    ['a nesting depth that would reject valid submissions', { maxNestingDepth: 3 }],
    ['an absurd nesting depth', { maxNestingDepth: 1001 }],
    ['zero events', { maxEventsPerSubmission: 0 }],
    ['an absurd event count', { maxEventsPerSubmission: 100_001 }],
    ['a fractional limit', { maxFieldLength: 10.5 }],
    ['NaN', { maxFieldLength: Number.NaN }],
    ['an unknown limit', { maxBananas: 1 }],
  ])('rejects %s', (_label, input) => {
    expect(validationLimitsSchema.safeParse(input).success).toBe(false);
  });
});

describe('validationLimitsEnvSchema', () => {
  const messageFor = (env: Record<string, string>) => {
    const result = validationLimitsEnvSchema.safeParse(env);
    return result.success ? 'ok' : result.error.issues.map((issue) => `${String(issue.path[0])} ${issue.message}`);
  };

  it('defaults to DEFAULT_VALIDATION_LIMITS when nothing is set, and ignores other variables', () => {
    const parsed = validationLimitsEnvSchema.parse({ PATH: '/bin', SQS_QUEUE_URL: 'http://x' });
    expect(validationLimitsFromEnv(parsed)).toEqual(DEFAULT_VALIDATION_LIMITS);
  });

  it('reads every limit from its variable', () => {
    const parsed = validationLimitsEnvSchema.parse({
      MAX_BODY_BYTES: '1048576',
      MAX_EVENTS_PER_SUBMISSION: '50',
      MAX_FIELD_LENGTH: '100',
      MAX_NESTING_DEPTH: '4',
      MAX_RECORD_BYTES: '2048',
    });
    const limits = validationLimitsFromEnv(parsed);
    expect(limits).toEqual({
      maxBodyBytes: 1_048_576,
      maxEventsPerSubmission: 50,
      maxFieldLength: 100,
      maxNestingDepth: 4,
      maxRecordBytes: 2048,
    });
    expect(Object.isFrozen(limits)).toBe(true);
  });

  it.each([
    ['MAX_BODY_BYTES', '1048577', 'must be 1–1048576'],
    ['MAX_BODY_BYTES', '0', 'must be 1–1048576'],
    ['MAX_EVENTS_PER_SUBMISSION', '100001', 'must be 1–100000'],
    ['MAX_FIELD_LENGTH', '12.5', 'must be an integer 1–1048576'],
    ['MAX_FIELD_LENGTH', 'lots', 'must be an integer 1–1048576'],
    ['MAX_NESTING_DEPTH', '3', 'must be 4–1000'],
    ['MAX_RECORD_BYTES', '2000000', 'must be 1–1048576'],
  ])('%s=%s is refused: %s', (name, value, message) => {
    expect(messageFor({ [name]: value })).toEqual([`${name} ${message}`]);
  });

  it('states the same ranges as the options schema', () => {
    for (const [name, key] of [
      ['MAX_BODY_BYTES', 'maxBodyBytes'],
      ['MAX_EVENTS_PER_SUBMISSION', 'maxEventsPerSubmission'],
      ['MAX_FIELD_LENGTH', 'maxFieldLength'],
      ['MAX_NESTING_DEPTH', 'maxNestingDepth'],
      ['MAX_RECORD_BYTES', 'maxRecordBytes'],
    ] as const) {
      const { min, max } = VALIDATION_LIMIT_RANGES[key];
      expect(validationLimitsEnvSchema.safeParse({ [name]: String(min) }).success).toBe(true);
      expect(validationLimitsEnvSchema.safeParse({ [name]: String(max) }).success).toBe(true);
      expect(validationLimitsEnvSchema.safeParse({ [name]: String(min - 1) }).success).toBe(false);
      expect(validationLimitsEnvSchema.safeParse({ [name]: String(max + 1) }).success).toBe(false);
      expect(validationLimitsSchema.safeParse({ [key]: min - 1 }).success).toBe(false);
      expect(validationLimitsSchema.safeParse({ [key]: max + 1 }).success).toBe(false);
    }
  });

  it('merges into a larger environment schema through its shape', () => {
    const config = z.object({ SQS_QUEUE_URL: z.string(), ...validationLimitsEnvSchema.shape });
    const parsed = config.parse({ SQS_QUEUE_URL: 'q', MAX_FIELD_LENGTH: '64' });
    expect(validationLimitsFromEnv(parsed).maxFieldLength).toBe(64);
  });
});
