import type { DrainInput } from './drain-input';

/**
 * How long one scheduled run may take before Temporal times it out (G7 liveness). Pure arithmetic, imported by the
 * schedule definition and by the workflow, so it must stay free of Node and AWS.
 *
 * A run stops starting batches when its budget is spent, then finishes the batches already in flight. The longest
 * that finishing can take is one batch whose every step exhausts its retry policy (workflows/activity-proxies.ts;
 * keep these figures in step with it). Per step: attempts × (scheduleToStart + startToClose) + the backoff between
 * attempts (the receive, on the shared queue, has no schedule-to-start timeout: it waits for any worker).
 *
 *   receive   5 × 60 s         + (1 + 2 + 4 + 8) s                    =  315 s
 *   validate  3 × (30 + 60) s  + (1 + 2) s                            =  273 s
 *   publish   8 × (30 + 300) s + (2 + 4 + 8 + 16 + 30 + 30 + 30) s    = 2760 s
 *   delete    8 × (30 + 120) s + (1 + 2 + 4 + 8 + 16 + 30 + 30) s     = 1291 s   (the invalid drop runs beside it)
 *   ------------------------------------------------------------------------
 *   drain                                                               4639 s
 *
 * plus a margin of 300 s for workflow tasks, dispatch and a worker restart. So
 *
 *   executionTimeout = runBudgetSeconds + 3979 s + 300 s          (default budget 300 s: 5239 s, about 87 min)
 *
 * A run is never cut short while it would still finish by its own rules; a run that cannot finish (a workflow task
 * failing forever: an unregistered search attribute, a non-deterministic deploy, a payload over the limit) is closed
 * as timed out, and the schedule starts the next one. It is an execution timeout, not a run timeout, because the
 * budget spans continue-as-new (the carried start time), and so must the timeout.
 */
export const RUN_DRAIN_ALLOWANCE_SECONDS = 315 + 273 + 2760 + 1291;
export const RUN_TIMEOUT_MARGIN_SECONDS = 300;

export function runExecutionTimeoutSeconds(runBudgetSeconds: number): number {
  return runBudgetSeconds + RUN_DRAIN_ALLOWANCE_SECONDS + RUN_TIMEOUT_MARGIN_SECONDS;
}

/**
 * The moment a run stops starting batches: its budget, or earlier when its execution timeout leaves less room (the
 * budget was raised with `temporal schedule update --input` without the timeout following): then in-flight work still
 * gets its full drain allowance before the timeout. With a timeout from runExecutionTimeoutSeconds the budget decides.
 */
export function runDeadlineMs(startedAtMs: number, runBudgetSeconds: number, executionExpiresAtMs?: number): number {
  const byBudget = startedAtMs + runBudgetSeconds * 1000;
  if (executionExpiresAtMs === undefined) return byBudget;
  return Math.min(byBudget, executionExpiresAtMs - RUN_DRAIN_ALLOWANCE_SECONDS * 1000);
}

/**
 * The long-poll wait of a batch's first receive (SQS answers as soon as a message is there; the follow-up receives of
 * a batch never wait, so a lone submission is not held for a fuller batch). Drain mode: receiveWaitSeconds, whose
 * empty answer ends the lane. Continuous mode: idleWaitSeconds, but not past the run's deadline, so the run closes on
 * time and the schedule's buffered run takes over; at least 1 s (a lane only asks before its deadline).
 */
export function firstReceiveWaitSeconds(
  input: Pick<DrainInput, 'mode' | 'idleWaitSeconds' | 'receiveWaitSeconds'>,
  nowMs: number,
  deadlineMs: number,
): number {
  if (input.mode === 'drain') return input.receiveWaitSeconds;
  const untilDeadline = Math.ceil((deadlineMs - nowMs) / 1000);
  return Math.max(1, Math.min(input.idleWaitSeconds, untilDeadline));
}
