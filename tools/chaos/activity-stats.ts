import type { Client } from '@temporalio/client';
import { encodeTimeoutType } from '@temporalio/common';

type HistoryPage = Awaited<ReturnType<Client['workflowService']['getWorkflowExecutionHistory']>>;
type HistoryEvent = NonNullable<NonNullable<HistoryPage['history']>['events']>[number];

const HEARTBEAT_TIMEOUT: number | undefined = encodeTimeoutType('HEARTBEAT');
const SCHEDULE_TO_START_TIMEOUT: number | undefined = encodeTimeoutType('SCHEDULE_TO_START');

/** Event ids are Longs in the protobuf objects; only their string form is used. */
type IdLike = number | string | { toString(): string } | null | undefined;
interface FailureLike {
  message?: string | null;
  timeoutFailureInfo?: { timeoutType?: number | null } | null;
}
/** The parts of a history event read here (structurally compatible with the protobuf history events). */
export interface ActivityEventLike {
  eventId?: IdLike;
  activityTaskScheduledEventAttributes?: { activityType?: { name?: string | null } | null } | null;
  activityTaskStartedEventAttributes?: {
    scheduledEventId?: IdLike;
    attempt?: number | null;
    lastFailure?: FailureLike | null;
  } | null;
  activityTaskTimedOutEventAttributes?: { scheduledEventId?: IdLike; failure?: FailureLike | null } | null;
}

/** How the activities of a scenario's runs went, per activity type, read from the runs' histories. */
export interface ActivityStats {
  /** Activity tasks scheduled. */
  scheduled: number;
  /** Tasks that needed more than one attempt (a retry after a failure or a timeout). */
  retried: number;
  /** Tasks whose last failure before the attempt that ended them was a heartbeat timeout, or that timed out for good. */
  heartbeatTimeouts: number;
  /** Tasks that timed out waiting to start: their batch's worker was gone (the run abandoned the batch). */
  workerGone: number;
  /** The last failure messages of retried tasks (a few, for the log). */
  lastFailures: string[];
}

/** Per activity type; pure, so it is tested on recorded events. */
export function activityStatsOf(histories: readonly (readonly ActivityEventLike[])[]): Record<string, ActivityStats> {
  const stats: Record<string, ActivityStats> = {};
  for (const events of histories) {
    const typeBySchedule = new Map<string, string>();
    for (const e of events) {
      const scheduled = e.activityTaskScheduledEventAttributes;
      if (scheduled) {
        const type = scheduled.activityType?.name ?? '?';
        typeBySchedule.set(String(e.eventId), type);
        statsFor(stats, type).scheduled += 1;
      }
      const started = e.activityTaskStartedEventAttributes;
      if (started && (started.attempt ?? 1) > 1) {
        const s = statsFor(stats, typeBySchedule.get(String(started.scheduledEventId)) ?? '?');
        s.retried += 1;
        const failure = started.lastFailure;
        if (failure?.timeoutFailureInfo?.timeoutType === HEARTBEAT_TIMEOUT) s.heartbeatTimeouts += 1;
        if (failure?.message && s.lastFailures.length < 5) s.lastFailures.push(failure.message);
      }
      const timedOut = e.activityTaskTimedOutEventAttributes;
      const timeoutType = timedOut?.failure?.timeoutFailureInfo?.timeoutType;
      if (timedOut && timeoutType === HEARTBEAT_TIMEOUT) {
        statsFor(stats, typeBySchedule.get(String(timedOut.scheduledEventId)) ?? '?').heartbeatTimeouts += 1;
      }
      if (timedOut && timeoutType === SCHEDULE_TO_START_TIMEOUT) {
        statsFor(stats, typeBySchedule.get(String(timedOut.scheduledEventId)) ?? '?').workerGone += 1;
      }
    }
  }
  return stats;
}

function statsFor(stats: Record<string, ActivityStats>, type: string): ActivityStats {
  stats[type] ??= { scheduled: 0, retried: 0, heartbeatTimeouts: 0, workerGone: 0, lastFailures: [] };
  return stats[type];
}

/**
 * Every history of one scheduled run's chain: the latest run, then back through continue-as-new (each run's first event
 * names the run it continues), so an activity retried in an earlier run of the chain is counted too.
 */
export async function fetchChainHistories(client: Client, workflowId: string): Promise<HistoryEvent[][]> {
  const histories: HistoryEvent[][] = [];
  let runId: string | undefined;
  do {
    const events = await fetchHistory(client, workflowId, runId);
    histories.push(events);
    const continued = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    runId = continued ? continued : undefined;
  } while (runId);
  return histories;
}

/**
 * Events per history page: a page is one gRPC message (4 MiB at most) and a full batch's events carry payloads of
 * ~100 KB each (200 events per page measured 4.4 MB at 100-message batches).
 */
const HISTORY_PAGE_EVENTS = 25;

/** One run's history (the latest run of the workflow id without `runId`), paged (it can exceed one gRPC message). */
async function fetchHistory(client: Client, workflowId: string, runId?: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId, ...(runId ? { runId } : {}) },
      maximumPageSize: HISTORY_PAGE_EVENTS,
      ...(nextPageToken ? { nextPageToken } : {}),
    });
    events.push(...(page.history?.events ?? []));
    nextPageToken = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return events;
}
