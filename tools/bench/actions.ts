/**
 * Temporal Cloud actions, counted from workflow histories (pure; the I/O is in history.ts).
 *
 * Counting rule (docs.temporal.io/cloud/actions), applied to every run of a continue-as-new chain:
 * - workflow started: 1 per run (client start, continue-as-new and child starts are each a new run's start);
 * - activity: 1 per attempt (ActivityTaskScheduled plus `attempt - 1` retries read from ActivityTaskStarted);
 * - local activities: 1 per workflow task that recorded any local-activity marker;
 * - timer started, signal received or sent, search-attribute upsert, child workflow start: 1 each;
 * - continue-as-new itself is not charged twice: the next run's start is the action (counted under "workflow started");
 * - heartbeats reaching the server are billed but are not in history: they are estimated separately
 *   (`estimateHeartbeats`) and reported next to, not inside, the history count;
 * - a Schedule adds its own action per scheduled start; runs started by the benchmark directly have none.
 */

/** The parts of a history event this module reads (structurally compatible with temporal.api.history.v1.IHistoryEvent). */
export interface HistoryEventLike {
  eventId?: NumberLike | null;
  eventTime?: { seconds?: NumberLike | null; nanos?: number | null } | null;
  workflowExecutionStartedEventAttributes?: object | null;
  workflowExecutionContinuedAsNewEventAttributes?: { newExecutionRunId?: string | null } | null;
  workflowTaskScheduledEventAttributes?: object | null;
  workflowTaskCompletedEventAttributes?: object | null;
  activityTaskScheduledEventAttributes?: {
    activityId?: string | null;
    activityType?: { name?: string | null } | null;
    input?: PayloadsLike | null;
  } | null;
  activityTaskStartedEventAttributes?: { scheduledEventId?: NumberLike | null; attempt?: number | null } | null;
  activityTaskCompletedEventAttributes?: { scheduledEventId?: NumberLike | null; result?: PayloadsLike | null } | null;
  activityTaskFailedEventAttributes?: { scheduledEventId?: NumberLike | null } | null;
  activityTaskTimedOutEventAttributes?: { scheduledEventId?: NumberLike | null } | null;
  timerStartedEventAttributes?: object | null;
  workflowExecutionSignaledEventAttributes?: object | null;
  signalExternalWorkflowExecutionInitiatedEventAttributes?: object | null;
  upsertWorkflowSearchAttributesEventAttributes?: object | null;
  startChildWorkflowExecutionInitiatedEventAttributes?: object | null;
  markerRecordedEventAttributes?: { markerName?: string | null } | null;
}

export type NumberLike = number | string | { toNumber(): number };
export interface PayloadsLike {
  payloads?: { data?: Uint8Array | null; metadata?: Record<string, Uint8Array> | null }[] | null;
}

export interface ActionCounts {
  workflowStarts: number;
  activityTasks: number;
  activityRetries: number;
  localActivityTasks: number;
  timers: number;
  signals: number;
  upserts: number;
  childWorkflows: number;
  /** Informational: already charged as the next run's start. */
  continueAsNew: number;
  /** Sum of the billable counts above (heartbeats and schedule actions excluded). */
  total: number;
}

export function emptyCounts(): ActionCounts {
  return {
    workflowStarts: 0,
    activityTasks: 0,
    activityRetries: 0,
    localActivityTasks: 0,
    timers: 0,
    signals: 0,
    upserts: 0,
    childWorkflows: 0,
    continueAsNew: 0,
    total: 0,
  };
}

const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

export function toNumber(value: NumberLike | null | undefined): number {
  if (value === null || value === undefined) return NaN;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return Number(value);
  return value.toNumber();
}

export function eventTimeMs(event: HistoryEventLike): number {
  const t = event.eventTime;
  if (!t) return NaN;
  return toNumber(t.seconds) * 1000 + (t.nanos ?? 0) / 1e6;
}

/** Counts the billable actions of one or more runs' histories (each list is one run, in event order). */
export function countActions(runs: readonly (readonly HistoryEventLike[])[]): ActionCounts {
  const c = emptyCounts();
  for (const events of runs) {
    let localActivityInTask = false;
    for (const e of events) {
      if (e.workflowExecutionStartedEventAttributes) c.workflowStarts += 1;
      if (e.workflowExecutionContinuedAsNewEventAttributes) c.continueAsNew += 1;
      if (e.activityTaskScheduledEventAttributes) c.activityTasks += 1;
      const attempt = e.activityTaskStartedEventAttributes?.attempt ?? 1;
      if (e.activityTaskStartedEventAttributes && attempt > 1) c.activityRetries += attempt - 1;
      if (e.timerStartedEventAttributes) c.timers += 1;
      if (e.workflowExecutionSignaledEventAttributes || e.signalExternalWorkflowExecutionInitiatedEventAttributes) {
        c.signals += 1;
      }
      if (e.upsertWorkflowSearchAttributesEventAttributes) c.upserts += 1;
      if (e.startChildWorkflowExecutionInitiatedEventAttributes) c.childWorkflows += 1;
      // Markers follow the WorkflowTaskCompleted of the task that ran the local activities.
      if (e.workflowTaskCompletedEventAttributes) localActivityInTask = false;
      if (e.markerRecordedEventAttributes?.markerName === LOCAL_ACTIVITY_MARKER && !localActivityInTask) {
        localActivityInTask = true;
        c.localActivityTasks += 1;
      }
    }
  }
  c.total =
    c.workflowStarts +
    c.activityTasks +
    c.activityRetries +
    c.localActivityTasks +
    c.timers +
    c.signals +
    c.upserts +
    c.childWorkflows;
  return c;
}

export interface ActivityStats {
  type: string;
  count: number;
  /** Mean ActivityTaskScheduled → ActivityTaskStarted (queueing in the task queue and poller latency). */
  meanScheduleToStartMs: number;
  /** Mean ActivityTaskStarted → ActivityTaskCompleted (the activity's own work). */
  meanRunMs: number;
  maxRunMs: number;
  /** Payload bytes of inputs plus results, all attempts. */
  payloadBytes: number;
}

export interface HistoryStats {
  runs: number;
  events: number;
  /** Bytes of every activity input and result payload: what the batches cost the history. */
  payloadBytes: number;
  activities: ActivityStats[];
  /** Estimated heartbeat actions (see estimateHeartbeats). */
  heartbeatsEstimated: number;
  workflowTasks: number;
  /** Mean WorkflowTaskScheduled → WorkflowTaskCompleted: the orchestration step between two activities. */
  meanWorkflowTaskMs: number;
}

function payloadBytes(p: PayloadsLike | null | undefined): number {
  return (p?.payloads ?? []).reduce((sum, x) => sum + (x.data?.length ?? 0), 0);
}

/**
 * A batch step heartbeats only once it has run 10 s (activities/keep-alive.ts); the SDK sends that first heartbeat at
 * once and throttles the rest to 0.8 × heartbeatTimeout (30 s → 24 s). So a step costs no heartbeat action under
 * 10 s, then 1 + floor((runtime − 10 s) / 24 s).
 */
export function estimateHeartbeats(runMs: number, firstAfterMs = 10_000, throttleMs = 24_000): number {
  if (runMs < firstAfterMs) return 0;
  return 1 + Math.floor((runMs - firstAfterMs) / throttleMs);
}

/** Per activity type: counts, latencies and payload sizes, from the histories of a run chain. */
export function historyStats(
  runs: readonly (readonly HistoryEventLike[])[],
  heartbeatingTypes: readonly string[] = [],
): HistoryStats {
  interface Acc {
    count: number;
    scheduleToStart: number[];
    run: number[];
    bytes: number;
  }
  const byType = new Map<string, Acc>();
  let events = 0;
  let bytes = 0;
  let heartbeats = 0;
  const workflowTaskMs: number[] = [];
  for (const history of runs) {
    const scheduled = new Map<number, { type: string; at: number }>();
    const started = new Map<number, number>();
    let workflowTaskScheduledAt: number | undefined;
    for (const e of history) {
      events += 1;
      if (e.workflowTaskScheduledEventAttributes) workflowTaskScheduledAt = eventTimeMs(e);
      if (e.workflowTaskCompletedEventAttributes && workflowTaskScheduledAt !== undefined) {
        workflowTaskMs.push(eventTimeMs(e) - workflowTaskScheduledAt);
        workflowTaskScheduledAt = undefined;
      }
      const s = e.activityTaskScheduledEventAttributes;
      if (s) {
        const type = s.activityType?.name ?? 'unknown';
        scheduled.set(toNumber(e.eventId), { type, at: eventTimeMs(e) });
        const acc = byType.get(type) ?? { count: 0, scheduleToStart: [], run: [], bytes: 0 };
        acc.count += 1;
        acc.bytes += payloadBytes(s.input);
        bytes += payloadBytes(s.input);
        byType.set(type, acc);
      }
      const st = e.activityTaskStartedEventAttributes;
      if (st) {
        const id = toNumber(st.scheduledEventId);
        const sched = scheduled.get(id);
        started.set(id, eventTimeMs(e));
        if (sched) byType.get(sched.type)?.scheduleToStart.push(eventTimeMs(e) - sched.at);
      }
      const done = e.activityTaskCompletedEventAttributes;
      if (done) {
        const id = toNumber(done.scheduledEventId);
        const sched = scheduled.get(id);
        const startedAt = started.get(id);
        const b = payloadBytes(done.result);
        bytes += b;
        if (sched) {
          const acc = byType.get(sched.type);
          if (acc) {
            acc.bytes += b;
            if (startedAt !== undefined) {
              const runMs = eventTimeMs(e) - startedAt;
              acc.run.push(runMs);
              if (heartbeatingTypes.includes(sched.type)) heartbeats += estimateHeartbeats(runMs);
            }
          }
        }
      }
    }
  }
  const meanOf = (xs: number[]): number => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
  return {
    runs: runs.length,
    events,
    payloadBytes: bytes,
    heartbeatsEstimated: heartbeats,
    workflowTasks: workflowTaskMs.length,
    meanWorkflowTaskMs: meanOf(workflowTaskMs),
    activities: [...byType.entries()]
      .map(([type, a]) => ({
        type,
        count: a.count,
        meanScheduleToStartMs: meanOf(a.scheduleToStart),
        meanRunMs: meanOf(a.run),
        maxRunMs: a.run.length === 0 ? NaN : Math.max(...a.run),
        payloadBytes: a.bytes,
      }))
      .sort((x, y) => x.type.localeCompare(y.type)),
  };
}

/** Actions per 1,000 events (null without events). */
export function actionsPer1000(actions: number, events: number): number | null {
  return events > 0 ? (actions * 1000) / events : null;
}
