import { ScheduleAlreadyRunning, ScheduleNotFoundError } from '@temporalio/client';
import { loadConfig } from '../config';
import { loadEnvFiles } from '../env-files';
import { connectClient } from '../temporal-client';
import { scheduleOptions } from './definition';

/**
 * Creates the schedule if it does not exist. An existing schedule is left exactly as it is: a re-deploy must never
 * wipe an operator's tuning (interval, input, pause state).
 */
async function run(): Promise<void> {
  loadEnvFiles();
  const config = loadConfig();
  const client = await connectClient(config);
  const handle = client.schedule.getHandle(config.SCHEDULE_ID);
  try {
    const existing = await handle.describe();
    console.log(
      `schedule "${config.SCHEDULE_ID}" already exists (paused: ${existing.state.paused}); left unchanged. ` +
        'Use temporal schedule update to retune it.',
    );
    return;
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
  try {
    await client.schedule.create(scheduleOptions(config));
    console.log(`schedule "${config.SCHEDULE_ID}" created: every ${config.SCHEDULE_INTERVAL}`);
  } catch (err) {
    // Another deploy created it between our describe and create: same outcome.
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    console.log(`schedule "${config.SCHEDULE_ID}" was created concurrently; left unchanged`);
  } finally {
    await client.connection.close();
  }
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
