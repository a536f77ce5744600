import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { loadEnvFiles } from '../env-files';
import { connectClient } from '../temporal-client';
import { explainScheduleError, forOperator } from './operator';

/** `npm run schedule:unpause [-- --reason "..."]`: runs resume at the next interval (trigger for one now). */
async function run(): Promise<void> {
  const { values } = parseArgs({ options: { reason: { type: 'string' } } });
  loadEnvFiles();
  const config = loadConfig();
  const client = await connectClient(config);
  try {
    const note = `unpaused by npm run schedule:unpause: ${values.reason ?? 'no reason given'}`;
    await client.schedule.getHandle(config.SCHEDULE_ID).unpause(note);
    console.log(`schedule "${config.SCHEDULE_ID}" unpaused (note: ${note})`);
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
