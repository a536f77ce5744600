import { setTimeout as sleep } from 'node:timers/promises';
import { monitorScheduleHealth, type ScheduleHealth } from '../../../src/schedule/health';

/** The liveness gauges follow what the schedule reports; a failed read leaves them frozen, so the alert can fire. */
describe('monitorScheduleHealth', () => {
  function gauge() {
    const values: number[] = [];
    return { values, set: (value: number) => void values.push(value) };
  }
  const flush = () => sleep(20);

  it('sets both gauges on every poll and keeps them when a read fails', async () => {
    const reads: (ScheduleHealth | Error)[] = [
      { lastCompletedAtMs: 1_700_000_000_000, healthyGapSeconds: 330 },
      new Error('Temporal unavailable'),
      { lastCompletedAtMs: 1_700_000_030_000, healthyGapSeconds: 330 },
    ];
    const lastCompleted = gauge();
    const healthyGap = gauge();
    const warnings: string[] = [];
    const stop = monitorScheduleHealth({
      read: async () => {
        const next = reads.shift();
        if (next instanceof Error) throw next;
        return next;
      },
      gauges: { lastCompleted, healthyGap },
      pollMs: 5,
      warn: (m) => warnings.push(m),
    });
    await flush();
    await flush();
    stop();
    expect(lastCompleted.values.slice(0, 2)).toEqual([1_700_000_000, 1_700_000_030]);
    expect(healthyGap.values.slice(0, 2)).toEqual([330, 330]);
    expect(warnings[0]).toMatch(/schedule health not read: Temporal unavailable/);
  });

  it('sets nothing while the schedule does not exist, and stops polling when stopped', async () => {
    let polls = 0;
    const lastCompleted = gauge();
    const stop = monitorScheduleHealth({
      read: async () => {
        polls += 1;
        return undefined;
      },
      gauges: { lastCompleted, healthyGap: gauge() },
      pollMs: 5,
      warn: () => undefined,
    });
    await flush();
    stop();
    const seen = polls;
    await flush();
    expect(seen).toBeGreaterThan(0);
    expect(polls).toBe(seen);
    expect(lastCompleted.values).toEqual([]);
  });
});
