import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { loadEnvFiles } from '../env-files';
import { connectClient } from '../temporal-client';
import { explainScheduleError, forOperator } from './operator';

/** `npm run schedule:pause [-- --reason "..."]`: no new runs until unpaused; a running run finishes. */
async function run(): Promise<void> {
  const { values } = parseArgs({ options: { reason: { type: 'string' } } });
  loadEnvFiles();
  const config = loadConfig();
  const client = await connectClient(config);
  try {
    const note = `paused by npm run schedule:pause: ${values.reason ?? 'no reason given'}`;
    await client.schedule.getHandle(config.SCHEDULE_ID).pause(note);
    console.log(`schedule "${config.SCHEDULE_ID}" paused (note: ${note}); resume with npm run schedule:unpause`);
  } catch (err) {
    throw explainScheduleError(err, config);
  } finally {
    await client.connection.close();
  }
}

run().catch((err) => {
  console.error(forOperator(err));
  process.exit(1);
});
