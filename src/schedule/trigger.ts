import { loadConfig } from '../config';
import { loadEnvFiles } from '../env-files';
import { connectClient } from '../temporal-client';
import { explainScheduleError, forOperator } from './operator';

/**
 * `npm run schedule:trigger`: one run now. The SDK's trigger defaults to overlap ALLOW_ALL, which would start a
 * second run next to a busy one; passing the schedule's own policy (BUFFER_ONE) queues it behind the busy run instead.
 */
async function run(): Promise<void> {
  loadEnvFiles();
  const config = loadConfig();
  const client = await connectClient(config);
  try {
    const handle = client.schedule.getHandle(config.SCHEDULE_ID);
    const { policies, info } = await handle.describe();
    await handle.trigger(policies.overlap);
    const busy = info.runningActions.map((a) => a.workflow.workflowId);
    console.log(
      `schedule "${config.SCHEDULE_ID}" triggered (overlap policy ${policies.overlap})` +
        (busy.length > 0 ? `; a run is in progress (${busy.join(', ')}), so the new one follows it` : '') +
        '. See it with npm run schedule:describe or in the Web UI.',
    );
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
