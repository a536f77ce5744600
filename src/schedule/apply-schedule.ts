import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client } from '@temporalio/client';
import type { Config } from '../config';
import { scheduleOptions } from './definition';

/** `created`: this call made it; `exists`: it was there and is left untouched; `created-concurrently`: a parallel
 * deploy made it between our describe and create. */
export type ApplyOutcome = 'created' | 'exists' | 'created-concurrently';

/**
 * Creates the schedule if it does not exist. An existing schedule is left exactly as it is: a re-deploy must never
 * wipe an operator's tuning (interval, input, pause state).
 */
export async function applySchedule(client: Client, config: Config): Promise<ApplyOutcome> {
  const handle = client.schedule.getHandle(config.SCHEDULE_ID);
  try {
    await handle.describe();
    return 'exists';
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
  try {
    await client.schedule.create(scheduleOptions(config));
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    return 'created-concurrently';
  }
}
