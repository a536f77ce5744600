import fc from 'fast-check';
import { INVALID_REASONS } from '../../../src/domain';
import { caseArb, type CaseKind } from '../../../tools/fuzz/cases';
import { checkBody, FuzzTally } from '../../../tools/fuzz/check';

// CI's share of the fuzzing (the project's quality bars, issue 7): 6,000 generated cases per run, each through validateSubmission and
// renderSubmission and judged by the independent oracle. `npm run fuzz` runs the same cases at 100,000+.
const RUNS: Record<CaseKind, number> = { valid: 1500, mutated: 2500, noise: 2000 };

describe.each(Object.entries(RUNS) as [CaseKind, number][])('fuzz: %s bodies', (kind, numRuns) => {
  it(`${numRuns} cases: no crash, no invalid accepted, no valid rejected, exact docs/contract.md#output output`, () => {
    const tally = new FuzzTally();
    fc.assert(
      fc.property(caseArb(kind), (fuzzCase) => {
        const result = checkBody(fuzzCase.body, fuzzCase.limits, fuzzCase.options, kind === 'valid');
        tally.add(result, fuzzCase.body, fuzzCase.labels);
        expect(result.problems).toEqual([]);
        if (kind === 'valid') expect(result.accepted).toBe(true);
        if (!result.accepted) expect(INVALID_REASONS).toContain(result.reason);
      }),
      { numRuns },
    );
    expect(tally.cases).toBeGreaterThanOrEqual(numRuns);
    if (kind === 'noise') expect(tally.accepted).toBe(0);
    // The mutations must reach the interesting verdicts, not only "bad JSON".
    if (kind === 'mutated') expect(tally.rejectedByReason.size).toBeGreaterThanOrEqual(12);
  }, 120_000);
});
