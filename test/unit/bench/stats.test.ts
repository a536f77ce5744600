import { mean, median, percentile, percentiles, perSecond, ratio } from '../../../tools/bench/stats';

describe('bench statistics', () => {
  it('takes nearest-rank percentiles of an unsorted list', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1
    expect(percentiles(values)).toEqual({ count: 100, p50: 50, p95: 95, p99: 99, max: 100 });
  });

  it('handles one value and no values', () => {
    expect(percentiles([7])).toEqual({ count: 1, p50: 7, p95: 7, p99: 7, max: 7 });
    expect(percentiles([])).toBeNull();
    expect(percentile([], 50)).toBeNaN();
  });

  it('rounds the rank up, never interpolates', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 51)).toBe(3);
    expect(percentile([10, 20], 99)).toBe(20);
  });

  it('computes rates, means and ratios without dividing by zero', () => {
    expect(perSecond(500, 2000)).toBe(250);
    expect(perSecond(500, 0)).toBe(0);
    expect(mean([1, 2, 3])).toBe(2);
    expect(ratio(80, 100)).toBeCloseTo(0.8);
    expect(ratio(80, 0)).toBeNull();
    expect(ratio(80, undefined)).toBeNull();
  });

  it('takes the median of odd and even counts, NaN of none', () => {
    expect(median([0.9, 0.6, 0.8])).toBe(0.8);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});
