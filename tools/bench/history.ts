import type { Client } from '@temporalio/client';
import { actionsPer1000, countActions, historyStats, toNumber, type HistoryEventLike } from './actions';

/** Activities that heartbeat (publish progress, delete progress): their heartbeats are billed actions too. */
export const HEARTBEATING_ACTIVITIES = ['publishEvents', 'deleteMessages', 'dropInvalidSubmissions'] as const;

/**
 * One run's history, page by page: a run near Temporal's continue-as-new suggestion holds ~4 MB of payloads, more than
 * gRPC's default 4 MiB message limit, so one unpaged fetch fails with RESOURCE_EXHAUSTED.
 */
export async function fetchHistoryPaged(
  client: Client,
  workflowId: string,
  runId?: string,
): Promise<HistoryEventLike[]> {
  const events: HistoryEventLike[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId, ...(runId ? { runId } : {}) },
      maximumPageSize: 100,
      ...(nextPageToken ? { nextPageToken } : {}),
    });
    events.push(...(page.history?.events ?? []));
    nextPageToken = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return events;
}

/** The history of a run and of every run it continued as new into, in order. */
export async function fetchRunChain(
  client: Client,
  workflowId: string,
  firstRunId?: string,
): Promise<HistoryEventLike[][]> {
  const runs: HistoryEventLike[][] = [];
  let runId: string | undefined = firstRunId;
  for (let i = 0; i < 1000; i++) {
    const events = await fetchHistoryPaged(client, workflowId, runId);
    runs.push(events);
    const next = events[events.length - 1]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    if (!next) break;
    runId = next;
  }
  return runs;
}

/** Every run on a task queue (schedule-started runs included), each with its continue-as-new successors. */
export async function fetchTaskQueueRuns(client: Client, taskQueue: string): Promise<HistoryEventLike[][]> {
  const runs: HistoryEventLike[][] = [];
  for await (const execution of client.workflow.list({ query: `TaskQueue = "${taskQueue}"` })) {
    runs.push(await fetchHistoryPaged(client, execution.workflowId, execution.runId));
  }
  return runs;
}

export function summarizeHistories(runs: readonly (readonly HistoryEventLike[])[], events: number) {
  const actions = countActions(runs);
  const history = historyStats(runs, HEARTBEATING_ACTIVITIES);
  return {
    actions,
    actionsPer1000Events: actionsPer1000(actions.total, events),
    heartbeatsEstimated: history.heartbeatsEstimated,
    actionsPer1000WithHeartbeats: actionsPer1000(actions.total + history.heartbeatsEstimated, events),
    history,
  };
}

/** PutRecords requests made by the publish activities, read from their results in history. */
export function putRecordsRequestsOf(runs: readonly (readonly HistoryEventLike[])[]): number {
  let total = 0;
  const decoder = new TextDecoder();
  for (const events of runs) {
    const publishIds = new Set<number>();
    for (const e of events) {
      const s = e.activityTaskScheduledEventAttributes;
      if (s?.activityType?.name === 'publishEvents' && e.eventId !== null && e.eventId !== undefined) {
        publishIds.add(toNumber(e.eventId));
      }
      const done = e.activityTaskCompletedEventAttributes;
      if (done && publishIds.has(toNumber(done.scheduledEventId))) {
        const data = done.result?.payloads?.[0]?.data;
        if (!data) continue;
        try {
          const parsed: unknown = JSON.parse(decoder.decode(data));
          if (typeof parsed === 'object' && parsed !== null && 'putRecordsRequests' in parsed) {
            total += Number(parsed.putRecordsRequests) || 0;
          }
        } catch {
          // A payload that is not JSON (another converter) simply is not counted.
        }
      }
    }
  }
  return total;
}
