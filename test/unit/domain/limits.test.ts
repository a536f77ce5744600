import { DEFAULT_VALIDATION_LIMITS, validationLimitsSchema } from '../../../src/domain';

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
    ['a nesting depth that would reject valid submissions', { maxNestingDepth: 3 }],
    ['zero events', { maxEventsPerSubmission: 0 }],
    ['a fractional limit', { maxFieldLength: 10.5 }],
    ['an unknown limit', { maxBananas: 1 }],
  ])('rejects %s', (_label, input) => {
    expect(validationLimitsSchema.safeParse(input).success).toBe(false);
  });
});
