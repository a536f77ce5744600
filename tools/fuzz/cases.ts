import fc from 'fast-check';
import type { ValidationLimits } from '../../src/domain/limits';
import { mutatedBodyArb, noiseBodyArb, validBodyArb, validLimitsArb } from './arbitraries';
import type { CaseOptions } from './check';

export const CASE_KINDS = ['valid', 'mutated', 'noise'] as const;
export type CaseKind = (typeof CASE_KINDS)[number];

export interface FuzzCase {
  kind: CaseKind;
  body: string;
  limits: ValidationLimits;
  labels: string[];
  options: CaseOptions;
}

const optionsArb: fc.Arbitrary<CaseOptions> = fc.record({
  includeProvenance: fc.boolean(),
  partitionKeyField: fc.constantFrom('device_id' as const, 'submission_id' as const),
});

export function caseArb(kind: CaseKind): fc.Arbitrary<FuzzCase> {
  const bodies =
    kind === 'valid'
      ? validLimitsArb.chain((limits) => validBodyArb(limits))
      : kind === 'mutated'
        ? mutatedBodyArb()
        : noiseBodyArb;
  return fc
    .tuple(bodies, optionsArb)
    .map(([{ body, limits, labels }, options]) => ({ kind, body, limits, labels, options }));
}

// The CLI's mix: mostly mutations (where bugs hide), valid bodies to prove nothing good is lost, and raw noise.
export const fuzzCaseArb: fc.Arbitrary<FuzzCase> = fc.oneof(
  { weight: 2, arbitrary: caseArb('valid') },
  { weight: 5, arbitrary: caseArb('mutated') },
  { weight: 3, arbitrary: caseArb('noise') },
);
