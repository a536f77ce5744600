import { pairRatios } from '../../../tools/bench/pairs';
import type { ConfigResult } from '../../../tools/bench/types';

function result(kind: 'temporal' | 'raw', eventsPerSec: number, pair?: number, ok = true): ConfigResult {
  return {
    name: `${kind}${pair ? ` #${pair}` : ''}`,
    kind,
    lanes: 4,
    workers: kind === 'temporal' ? 1 : 0,
    submissions: 100,
    validSubmissions: 90,
    events: 700,
    durationMs: 1000,
    submissionsPerSec: 100,
    eventsPerSec,
    latencyMs: null,
    putRecordsRequests: 10,
    cpu: { workerCpuMs: 1, cpuPerEventUs: 1, peakRssMb: 1, services: {} },
    verify: { ok, deliveredEvents: 700, expectedEvents: 700, duplicates: 0, detail: ok ? 'PASS' : 'FAIL' },
    ...(pair === undefined ? {} : { pair }),
  };
}

describe('raw/Temporal pairs', () => {
  it('pairs each repeat with the raw run measured beside it, not with the first raw run', () => {
    const first = result('temporal', 400);
    const backlog = [first, result('raw', 500), result('raw', 1000, 2), result('temporal', 900, 2)];
    expect(pairRatios(backlog, first)).toEqual([0.8, 0.9]);
  });

  it('leaves out a pair whose verification failed', () => {
    const first = result('temporal', 400);
    const backlog = [first, result('raw', 500), result('temporal', 900, 2, false), result('raw', 1000, 2)];
    expect(pairRatios(backlog, first)).toEqual([0.8]);
  });

  it('has no ratio without a raw run', () => {
    const first = result('temporal', 400);
    expect(pairRatios([first], first)).toEqual([]);
  });
});
