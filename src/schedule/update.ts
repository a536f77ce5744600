import { loadConfig } from '../config';
import { loadEnvFiles } from '../env-files';
import { connectClient } from '../temporal-client';
import { explainScheduleError, forOperator } from './operator';
import { describeChanges, parseTuningFlags, TUNING_FLAGS_HELP, updateSchedule } from './tune';

/**
 * `npm run schedule:update -- --interval 15s --lanes 4 ...`: changes only what the flags name (see --help); the run
 * input is merged into the schedule's and validated like every run validates it before anything is written.
 */
async function run(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(TUNING_FLAGS_HELP);
    return;
  }
  const { tuning, dryRun } = parseTuningFlags(argv);
  loadEnvFiles();
  const config = loadConfig();
  const client = await connectClient(config);
  try {
    const changes = await updateSchedule(client.schedule.getHandle(config.SCHEDULE_ID), tuning, { dryRun });
    console.log(describeChanges(config.SCHEDULE_ID, changes, dryRun));
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
