import type { ScheduleDescription } from '@temporalio/client';
import type { Config } from '../config/environment';
import { drainInputSchema, type DrainInputOverrides } from '../../workflows/drain-input';
import { durationToMs, formatDurationMs } from '../config/duration';
import { ENV_SEEDED_RUN_INPUT, initialDrainInput } from './definition';
import { flagsFor } from './run-input-flags';

/**
 * Tuning in the environment (.env, MAX_NUMBER_OF_MESSAGES, SCHEDULE_INTERVAL, …) only seeds a NEW schedule; after
 * that the live schedule is what runs. This finds where the two disagree, so `schedule apply` can say so and print
 * the one command that applies the environment's values (a silent no-op would look like a broken setting).
 */
export interface ScheduleDrift {
  differences: { field: string; live: unknown; environment: unknown }[];
  /** The command that makes the live schedule match the environment, or undefined when they agree. */
  command: string | undefined;
}

/** Compares only what the environment sets explicitly (`env`): an unset variable asks for nothing. */
export function scheduleDrift(
  live: ScheduleDescription,
  config: Config,
  env: Record<string, string | undefined> = process.env,
): ScheduleDrift {
  const differences: ScheduleDrift['differences'] = [];
  const wanted = initialDrainInput(config);
  const overrides: DrainInputOverrides = {};
  if (live.action.type === 'startWorkflow') {
    const current = drainInputSchema.safeParse(live.action.args?.[0] ?? {});
    for (const [key, variable] of ENV_SEEDED_RUN_INPUT) {
      if (env[variable] === undefined) continue;
      const liveValue: unknown = current.success ? current.data[key] : undefined;
      if (liveValue !== wanted[key]) {
        differences.push({ field: `input.${key}`, live: liveValue, environment: wanted[key] });
        Object.assign(overrides, { [key]: wanted[key] });
      }
    }
  }
  const intervals = live.spec.intervals ?? [];
  const wantedEvery = durationToMs(config.SCHEDULE_INTERVAL);
  const intervalDiffers =
    env.SCHEDULE_INTERVAL !== undefined && (intervals.length !== 1 || intervals[0]?.every !== wantedEvery);
  if (intervalDiffers) {
    differences.push({
      field: 'interval',
      live: intervals.map((i) => formatDurationMs(i.every)).join(', ') || 'none',
      environment: config.SCHEDULE_INTERVAL,
    });
  }
  if (differences.length === 0) return { differences, command: undefined };
  const flags = [intervalDiffers ? `--interval ${config.SCHEDULE_INTERVAL}` : '', flagsFor(overrides)]
    .filter(Boolean)
    .join(' ');
  return { differences, command: `npm run schedule -- update ${flags}` };
}

export function describeDrift(scheduleId: string, drift: ScheduleDrift): string {
  if (drift.command === undefined) return '';
  const lines = drift.differences.map(
    (d) => `  ${d.field}: schedule has ${JSON.stringify(d.live)}, environment says ${JSON.stringify(d.environment)}`,
  );
  return (
    `NOTE: the environment's tuning differs from the live schedule "${scheduleId}" (the environment only seeds a ` +
    `new schedule; the live one is what runs):\n${lines.join('\n')}\n` +
    `  to apply the environment's values: ${drift.command}`
  );
}
