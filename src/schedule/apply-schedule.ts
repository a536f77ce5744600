import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  type Client,
  type ScheduleDescription,
} from '@temporalio/client';
import type { Config } from '../config';
import { drainInputSchema } from '../../workflows/drain-input';
import { runExecutionTimeoutSeconds } from '../../workflows/run-timeout';
import { scheduleOptions } from './definition';

/** `created`: this call made it; `exists`: it was there and is left untouched; `timeout-updated`: it was there and
 * only its run timeout was brought in line with its own run budget; `created-concurrently`: a parallel deploy made it
 * between our describe and create. */
export type ApplyOutcome = 'created' | 'exists' | 'timeout-updated' | 'created-concurrently';

/**
 * Creates the schedule if it does not exist. An existing schedule keeps everything an operator tunes (interval, run
 * input, pause state, note): a re-deploy must never wipe that. The one thing a re-deploy does set is the run timeout
 * (G7 liveness), because it is not tuning but a property of the code: it follows from the run budget the schedule
 * already has (workflows/run-timeout.ts), so a schedule created before the timeout existed gets one on the next deploy.
 */
export async function applySchedule(client: Client, config: Config): Promise<ApplyOutcome> {
  const handle = client.schedule.getHandle(config.SCHEDULE_ID);
  let existing: ScheduleDescription | undefined;
  try {
    existing = await handle.describe();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
  if (existing) {
    if (expectedTimeoutMs(existing) === undefined) return 'exists';
    let changed = false;
    await handle.update((prev) => {
      const timeoutMs = expectedTimeoutMs(prev);
      if (prev.action.type !== 'startWorkflow' || timeoutMs === undefined) return prev;
      changed = true;
      return { ...prev, action: { ...prev.action, workflowExecutionTimeout: timeoutMs } };
    });
    return changed ? 'timeout-updated' : 'exists';
  }
  try {
    await client.schedule.create(scheduleOptions(config));
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    return 'created-concurrently';
  }
}

/**
 * The execution timeout the schedule should have, when it differs from the one it has; undefined when it is right, or
 * when the schedule is not ours to judge (another action type, a run input every run rejects: the operator's to fix).
 */
export function expectedTimeoutMs(schedule: ScheduleDescription): number | undefined {
  if (schedule.action.type !== 'startWorkflow') return undefined;
  const input = drainInputSchema.safeParse(schedule.action.args?.[0] ?? {});
  if (!input.success) return undefined;
  const expected = runExecutionTimeoutSeconds(input.data.runBudgetSeconds) * 1000;
  return schedule.action.workflowExecutionTimeout === expected ? undefined : expected;
}
