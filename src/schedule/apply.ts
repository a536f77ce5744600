import { loadConfig } from '../config';
import { loadEnvFiles } from '../env-files';
import { connectClient } from '../temporal-client';
import { applySchedule } from './apply-schedule';

/** `npm run schedule:apply`: creates the schedule if missing; an existing one keeps the operator's tuning. */
async function run(): Promise<void> {
  loadEnvFiles();
  const config = loadConfig();
  const client = await connectClient(config);
  try {
    const outcome = await applySchedule(client, config);
    const id = config.SCHEDULE_ID;
    if (outcome === 'created') console.log(`schedule "${id}" created: every ${config.SCHEDULE_INTERVAL}`);
    else if (outcome === 'exists') {
      const { state } = await client.schedule.getHandle(id).describe();
      console.log(
        `schedule "${id}" already exists (paused: ${state.paused}); left unchanged. ` +
          'Use npm run schedule:update or temporal schedule update to retune it.',
      );
    } else if (outcome === 'timeout-updated') {
      console.log(
        `schedule "${id}" already exists; its run timeout now follows its run budget (src/run-timeout.ts), ` +
          'everything else (interval, run input, pause state) left unchanged.',
      );
    } else console.log(`schedule "${id}" was created concurrently; left unchanged`);
  } finally {
    await client.connection.close();
  }
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
