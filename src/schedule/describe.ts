import { loadConfig } from '../config';
import { drainInputSchema } from '../drain-input';
import { loadEnvFiles } from '../env-files';
import { connectClient } from '../temporal-client';
import { explainScheduleError, forOperator } from './operator';
import { formatDurationMs } from './tune';

/** `npm run schedule:describe`: the schedule's state, timing, run input (as set and as each run will see it), runs. */
async function run(): Promise<void> {
  loadEnvFiles();
  const config = loadConfig();
  const client = await connectClient(config);
  try {
    const d = await client.schedule.getHandle(config.SCHEDULE_ID).describe();
    const lines = [
      `schedule "${d.scheduleId}" (namespace ${config.TEMPORAL_NAMESPACE} at ${config.TEMPORAL_ADDRESS})`,
      `  state:      ${d.state.paused ? 'PAUSED' : 'active'}${d.state.note ? ` — note: ${d.state.note}` : ''}`,
      `  interval:   ${(d.spec.intervals ?? []).map((i) => `every ${formatDurationMs(i.every)}`).join(', ') || '(none)'}`,
      `  policies:   overlap ${d.policies.overlap}, catch-up window ${formatDurationMs(d.policies.catchupWindow)}`,
    ];
    if (d.action.type === 'startWorkflow') {
      const raw: unknown = d.action.args?.[0] ?? {};
      const effective = drainInputSchema.safeParse(raw);
      lines.push(
        `  workflow:   ${d.action.workflowType} on task queue ${d.action.taskQueue} (ids ${d.action.workflowId}-<time>)`,
        `  run input:  ${JSON.stringify(raw)}`,
        effective.success
          ? `  effective:  ${JSON.stringify(effective.data)}`
          : `  effective:  INVALID, every run will fail: ${effective.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    }
    const { info } = d;
    lines.push(
      `  next runs:  ${
        info.nextActionTimes
          .slice(0, 3)
          .map((t) => t.toISOString())
          .join(', ') || '(none)'
      }`,
      `  running:    ${info.runningActions.map((a) => a.workflow.workflowId).join(', ') || '(none)'}`,
      `  recent:     ${info.recentActions.length === 0 ? '(none)' : ''}`,
      ...info.recentActions.slice(-5).map((r) => `    ${r.takenAt.toISOString()}  ${r.action.workflow.workflowId}`),
      `  actions:    ${info.numActionsTaken} taken, ${info.numActionsSkippedOverlap} skipped (overlap), ` +
        `${info.numActionsMissedCatchupWindow} missed (catch-up window)`,
      `  created:    ${info.createdAt.toISOString()}${info.lastUpdatedAt ? `, last updated ${info.lastUpdatedAt.toISOString()}` : ''}`,
    );
    console.log(lines.join('\n'));
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
