import { expectedEvents, planLargeLoad, planLoad } from '../../../tools/bench/load';
import { ratioLines } from '../../../tools/bench/render';
import type { BenchReport } from '../../../tools/bench/types';

describe('bench large-submission mix', () => {
  it('plans as many submissions as make the ordinary load’s event count, a share of them near the limit', () => {
    const ordinary = planLoad(7, 300);
    const target = expectedEvents(ordinary);
    const large = planLargeLoad(7, { share: 0.2, events: 900 }, { targetEvents: target });
    const events = expectedEvents(large);
    expect(events).toBeGreaterThanOrEqual(target);
    // The last submission crossed the target: without it the load is below it.
    expect(expectedEvents(large.slice(0, -1))).toBeLessThan(target);
    const valid = large.filter((p) => p.status === 'valid');
    const nearLimit = valid.filter((p) => p.events.length === 900);
    expect(nearLimit.length).toBeGreaterThan(0);
    expect(nearLimit.length).toBeLessThan(valid.length);
  });

  it('plans exactly the requested count when one is given', () => {
    expect(planLargeLoad(7, { share: 0.5, events: 100 }, { count: 12 })).toHaveLength(12);
  });

  it('reports the large mix against the ordinary mix beside the other ratios', () => {
    const report: Pick<BenchReport, 'ratios'> = {
      ratios: { best: null, vsRaw: null, vsSink: null, rawVsSink: null, largeVsOrdinary: 0.44 },
    };
    expect(ratioLines(report)).toContain('large-submission mix vs ordinary mix, same lanes: 0.44× (target ≥ 0.80×)');
  });
});
