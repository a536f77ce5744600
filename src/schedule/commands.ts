import type { Client } from '@temporalio/client';
import { parseCommandLine, stringFlag } from '../cli/shell';
import type { Config } from '../config/environment';
import { drainInputSchema } from '../../workflows/drain-input';
import { formatDurationMs } from '../config/duration';
import { applySchedule, clientEncoding } from './apply-schedule';
import { describeDrift, scheduleDrift } from './drift';
import { describeChanges, parseTuningFlags, TUNING_FLAGS_HELP, updateSchedule } from './tune';

/** One operator action on the schedule: its flags, its usage and what it does (returns what to print). */
export interface ScheduleCommand {
  summary: string;
  usage: string;
  /** Parses and checks the flags strictly before anything connects; returns the action to run. */
  prepare(argv: string[]): (client: Client, config: Config) => Promise<string>;
}

const apply: ScheduleCommand = {
  summary: 'create the schedule if it is missing (an existing one keeps its tuning)',
  usage:
    'Usage: npm run schedule -- apply\n' +
    '  Creates the schedule from the environment (SCHEDULE_ID, SCHEDULE_INTERVAL, MAX_NUMBER_OF_MESSAGES, …).\n' +
    '  An existing schedule keeps its tuning; when the environment asks for other tuning than the live schedule\n' +
    '  has, it says so and prints the update command that would apply it. Its stored run input is written again,\n' +
    '  unchanged, when it is encrypted with another payload key than the active one (PAYLOAD_ACTIVE_KEY_ID: key\n' +
    '  rotation), and its run timeout is set when it does not follow its run budget.',
  prepare: (argv) => {
    parseCommandLine(argv, {});
    return async (client, config) => {
      const outcome = await applySchedule(client, config);
      const id = config.SCHEDULE_ID;
      if (outcome === 'created') return `schedule "${id}" created: every ${config.SCHEDULE_INTERVAL}`;
      if (outcome === 'created-concurrently') return `schedule "${id}" was created concurrently; left unchanged`;
      const timeoutNote =
        outcome === 'timeout-updated'
          ? ' Its run timeout now follows its run budget (workflows/run-timeout.ts); nothing else was changed.'
          : outcome === 're-encrypted'
            ? ` Its stored run input was written again, unchanged, under the active payload key "${clientEncoding(client).active ?? '(none: encryption off)'}" (docs/confidentiality.md, "Rotation").`
            : '';
      const live = await client.schedule.getHandle(id).describe();
      const drift = describeDrift(id, scheduleDrift(live, config));
      return (
        `schedule "${id}" already exists (paused: ${live.state.paused}); tuning left unchanged.${timeoutNote}` +
        (drift ? `\n${drift}` : '')
      );
    };
  },
};

const describe: ScheduleCommand = {
  summary: 'show state, interval, run input (as set and as runs see it), recent runs',
  usage: 'Usage: npm run schedule -- describe',
  prepare: (argv) => {
    parseCommandLine(argv, {});
    return async (client, config) => {
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
      const next = info.nextActionTimes.slice(0, 3).map((t) => t.toISOString());
      lines.push(
        `  next runs:  ${next.join(', ') || '(none)'}`,
        `  running:    ${info.runningActions.map((a) => a.workflow.workflowId).join(', ') || '(none)'}`,
        `  recent:     ${info.recentActions.length === 0 ? '(none)' : ''}`,
        ...info.recentActions.slice(-5).map((r) => `    ${r.takenAt.toISOString()}  ${r.action.workflow.workflowId}`),
        `  actions:    ${info.numActionsTaken} taken, ${info.numActionsSkippedOverlap} skipped (overlap), ` +
          `${info.numActionsMissedCatchupWindow} missed (catch-up window)`,
        `  created:    ${info.createdAt.toISOString()}` +
          (info.lastUpdatedAt ? `, last updated ${info.lastUpdatedAt.toISOString()}` : ''),
      );
      return lines.join('\n');
    };
  },
};

/** pause and unpause: the same flag, a note the Web UI shows beside the schedule's state. */
function pauseCommand(verb: 'pause' | 'unpause', summary: string, after: string): ScheduleCommand {
  return {
    summary,
    usage: `Usage: npm run schedule -- ${verb} [--reason "text"]`,
    prepare: (argv) => {
      const { values } = parseCommandLine(argv, { reason: { type: 'string' } });
      return async (client, config) => {
        const note = `${verb}d by npm run schedule -- ${verb}: ${stringFlag(values, 'reason') ?? 'no reason given'}`;
        await client.schedule.getHandle(config.SCHEDULE_ID)[verb](note);
        return `schedule "${config.SCHEDULE_ID}" ${verb}d (note: ${note})${after}`;
      };
    },
  };
}

const pause = pauseCommand(
  'pause',
  'start no new runs until unpaused (a running run finishes)',
  '; resume with npm run schedule -- unpause',
);
const unpause = pauseCommand('unpause', 'resume scheduled runs', '');

/**
 * The SDK's trigger defaults to overlap ALLOW_ALL, which would start a second run next to a busy one; passing the
 * schedule's own policy (BUFFER_ONE) queues it behind the busy run instead.
 */
const trigger: ScheduleCommand = {
  summary: 'start one run now (queued behind a running one, never beside it)',
  usage: 'Usage: npm run schedule -- trigger',
  prepare: (argv) => {
    parseCommandLine(argv, {});
    return async (client, config) => {
      const handle = client.schedule.getHandle(config.SCHEDULE_ID);
      const { policies, info } = await handle.describe();
      await handle.trigger(policies.overlap);
      const busy = info.runningActions.map((a) => a.workflow.workflowId);
      return (
        `schedule "${config.SCHEDULE_ID}" triggered (overlap policy ${policies.overlap})` +
        (busy.length > 0 ? `; a run is in progress (${busy.join(', ')}), so the new one follows it` : '') +
        '. See it with npm run schedule -- describe or in the Web UI.'
      );
    };
  },
};

/** Changes only what the flags name; the merged run input is validated like every run validates it. */
const update: ScheduleCommand = {
  summary: 'retune the interval or run input (only the flags given change)',
  usage: TUNING_FLAGS_HELP,
  prepare: (argv) => {
    const { tuning, dryRun } = parseTuningFlags(argv);
    return async (client, config) => {
      const changes = await updateSchedule(client.schedule.getHandle(config.SCHEDULE_ID), tuning, { dryRun });
      return describeChanges(config.SCHEDULE_ID, changes, dryRun);
    };
  },
};

export const SCHEDULE_COMMANDS: Record<string, ScheduleCommand> = { apply, describe, pause, unpause, trigger, update };
