import {
  ScheduleNotFoundError,
  WorkflowNotFoundError,
  type Client,
  type ScheduleDescription,
} from '@temporalio/client';
import type { MetricGauge } from '@temporalio/common';
import { drainInputSchema } from '../../workflows/drain-input';
import { pollEvery } from '../worker/poll-every';

/**
 * G7 liveness signal: when did the schedule last complete a run, and how long may a healthy schedule go without one.
 * Each worker exports both as gauges; a Prometheus rule compares them (docs/operations.md, "Alerts"):
 *
 *   time() - edr_schedule_last_completed_run_timestamp_seconds > 3 * edr_schedule_healthy_run_gap_seconds
 *
 * A healthy schedule completes a run at least every interval + run budget (a run drains for its budget at most, and
 * the next one starts at the following tick, or at once when a tick was buffered during the run). Cheap: one
 * DescribeSchedule and, usually, one or two DescribeWorkflowExecution per poll and worker.
 */
export interface ScheduleHealth {
  /** Close time of the newest run that completed successfully; the schedule's creation while none has. */
  lastCompletedAtMs: number;
  /** interval + run budget, in seconds: the longest a healthy schedule goes between completed runs. */
  healthyGapSeconds: number;
}

/** Undefined when the schedule does not exist (yet): nothing to report. */
export async function readScheduleHealth(client: Client, scheduleId: string): Promise<ScheduleHealth | undefined> {
  let schedule: ScheduleDescription;
  try {
    schedule = await client.schedule.getHandle(scheduleId).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
  return {
    lastCompletedAtMs: (await lastCompletedRunAtMs(client, schedule)) ?? schedule.info.createdAt.getTime(),
    healthyGapSeconds: healthyGapSeconds(schedule),
  };
}

export function healthyGapSeconds(schedule: ScheduleDescription): number {
  const intervalMs = Math.max(0, ...(schedule.spec.intervals ?? []).map((i) => i.every));
  const input: unknown = schedule.action.type === 'startWorkflow' ? schedule.action.args?.[0] : undefined;
  const parsed = drainInputSchema.safeParse(input ?? {});
  // An input every run rejects: the default budget, so the alert still fires on a schedule whose runs all fail.
  const budgetSeconds = parsed.success ? parsed.data.runBudgetSeconds : drainInputSchema.parse({}).runBudgetSeconds;
  return Math.ceil(intervalMs / 1000) + budgetSeconds;
}

/**
 * The schedule remembers its last actions (newest last); each started a workflow id whose latest run (after any
 * continue-as-new) is what closed. Looked at newest first, stopping at the first that completed.
 */
async function lastCompletedRunAtMs(client: Client, schedule: ScheduleDescription): Promise<number | undefined> {
  const newestFirst = [...schedule.info.recentActions].reverse();
  for (const action of newestFirst) {
    try {
      const run = await client.workflow.getHandle(action.action.workflow.workflowId).describe();
      if (run.status.name === 'COMPLETED' && run.closeTime) return run.closeTime.getTime();
    } catch (err) {
      // Past the namespace's retention: an older action may still be known.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return undefined;
}

export interface ScheduleHealthGauges {
  lastCompleted: Pick<MetricGauge, 'set'>;
  healthyGap: Pick<MetricGauge, 'set'>;
}

/**
 * Polls the schedule's health every `pollMs` and sets the gauges. A failed poll is logged and leaves the gauges as
 * they were: a frozen last-completed time makes the alert fire if the trouble lasts. Returns a stop function.
 */
export function monitorScheduleHealth(options: {
  read: () => Promise<ScheduleHealth | undefined>;
  gauges: ScheduleHealthGauges;
  pollMs: number;
  warn: (message: string) => void;
}): () => void {
  return pollEvery(options.pollMs, async (stopped) => {
    try {
      const health = await options.read();
      if (health && !stopped()) {
        options.gauges.lastCompleted.set(health.lastCompletedAtMs / 1000);
        options.gauges.healthyGap.set(health.healthyGapSeconds);
      }
    } catch (err) {
      options.warn(`schedule health not read: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
}
