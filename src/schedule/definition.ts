import { ScheduleOverlapPolicy, type ScheduleOptions } from '@temporalio/client';
import type { Config } from '../config/environment';
import { validationLimitsFromEnv } from '../domain/limits';
import { drainInputSchema, type DrainInput } from '../../workflows/drain-input';
import { durationToMs } from '../config/duration';
import { runExecutionTimeoutSeconds } from '../../workflows/run-timeout';
import { WORKFLOW_TYPE } from '../../workflows/names';

/** Which environment variable seeds which run-input key of a new schedule. */
export const ENV_SEEDED_RUN_INPUT = [
  ['maxNumberOfMessages', 'MAX_NUMBER_OF_MESSAGES'],
  ['visibilityTimeoutSeconds', 'VISIBILITY_TIMEOUT_SECONDS'],
  ['mode', 'RUN_MODE'],
  ['idleWaitSeconds', 'IDLE_WAIT_SECONDS'],
  ['receiveWaitSeconds', 'RECEIVE_WAIT_SECONDS'],
  ['receivesPerBatch', 'RECEIVES_PER_BATCH'],
  ['gatherMilliseconds', 'GATHER_MILLISECONDS'],
  ['lanes', 'PARALLEL_LANES'],
  ['runBudgetSeconds', 'RUN_BUDGET_SECONDS'],
  ['partitionKey', 'PARTITION_KEY'],
  ['includeProvenance', 'INCLUDE_PROVENANCE'],
  ['searchAttributes', 'SEARCH_ATTRIBUTES'],
  ['unknownFields', 'UNKNOWN_FIELDS'],
] as const satisfies readonly (readonly [keyof DrainInput, keyof Config])[];

/** The first run input of a new schedule, from the environment. Later changes are the operator's (schedule update). */
export function initialDrainInput(config: Config): DrainInput {
  return drainInputSchema.parse({
    ...Object.fromEntries(ENV_SEEDED_RUN_INPUT.map(([key, variable]) => [key, config[variable]])),
    validationLimits: validationLimitsFromEnv(config),
  });
}

export function scheduleOptions(config: Config): ScheduleOptions {
  const input = initialDrainInput(config);
  return {
    scheduleId: config.SCHEDULE_ID,
    spec: { intervals: [{ every: durationToMs(config.SCHEDULE_INTERVAL) }] },
    action: {
      type: 'startWorkflow',
      workflowType: WORKFLOW_TYPE,
      workflowId: `${config.SCHEDULE_ID}-run`,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      args: [input],
      // G7 liveness: a run that cannot finish is closed by Temporal and the next tick starts a fresh one (BUFFER_ONE
      // would otherwise wait for it forever). Derived from the run budget: workflows/run-timeout.ts has the arithmetic.
      workflowExecutionTimeout: runExecutionTimeoutSeconds(input.runBudgetSeconds) * 1000,
      staticSummary: 'Drain the submissions queue into the events stream',
      staticDetails:
        `Receives from ${config.SQS_QUEUE_URL}, validates, publishes each event to Kinesis stream ` +
        `${config.KINESIS_STREAM_NAME}, deletes each message after all its events are acknowledged.`,
    },
    policies: {
      // A run in progress is never joined by a second one; a tick during a long run queues exactly one follow-up, so
      // under load the next run starts as soon as the previous one ends instead of waiting a whole interval.
      overlap: ScheduleOverlapPolicy.BUFFER_ONE,
      // After downtime, start one catch-up run (it drains everything) instead of replaying every missed tick.
      catchupWindow: '1 minute',
      pauseOnFailure: false,
    },
    state: {
      note: 'Created by npm run schedule:apply; tune with npm run schedule:update / pause / unpause / trigger (docs/operations.md).',
    },
  };
}
