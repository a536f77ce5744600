import type { Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
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

/** A count the benchmark needs could not be read from a history: the figure would be wrong, so the run has none. */
export class HistoryPayloadError extends Error {
  override readonly name = 'HistoryPayloadError';
}

/** A history payload as the worker wrote it: through the project's codecs (src/codec), decoded in reverse order. */
async function decodePayload(payload: Payload, codecs: readonly PayloadCodec[]): Promise<unknown> {
  let payloads = [payload];
  for (const codec of [...codecs].reverse()) payloads = await codec.decode(payloads);
  const [decoded] = payloads;
  if (!decoded) throw new HistoryPayloadError('a codec returned no payload');
  return defaultPayloadConverter.fromPayload(decoded);
}

const publishResultSchema = z.object({ putRecordsRequests: z.number().int().min(0) });

/**
 * PutRecords requests made by the publish activities, read from their results in history. The results are compressed
 * and encrypted (G8), so they are decoded with `codecs`, the ones the workers use (the benchmark client's
 * `options.loadedDataConverter.payloadCodecs`). A result that cannot be decoded, or has no count, is an error, never a 0.
 */
export async function putRecordsRequestsOf(
  runs: readonly (readonly HistoryEventLike[])[],
  codecs: readonly PayloadCodec[],
): Promise<number> {
  let total = 0;
  for (const events of runs) {
    const publishIds = new Set<number>();
    for (const e of events) {
      const s = e.activityTaskScheduledEventAttributes;
      if (s?.activityType?.name === 'publishEvents' && e.eventId !== null && e.eventId !== undefined) {
        publishIds.add(toNumber(e.eventId));
      }
      const done = e.activityTaskCompletedEventAttributes;
      if (!done || !publishIds.has(toNumber(done.scheduledEventId))) continue;
      const where = `publishEvents result (scheduled as event ${toNumber(done.scheduledEventId)})`;
      const payload = done.result?.payloads?.[0];
      if (!payload) throw new HistoryPayloadError(`${where}: no payload`);
      let value: unknown;
      try {
        value = await decodePayload(payload, codecs);
      } catch (err) {
        throw new HistoryPayloadError(
          `${where} cannot be decoded: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      const parsed = publishResultSchema.safeParse(value);
      if (!parsed.success) throw new HistoryPayloadError(`${where} has no putRecordsRequests count`);
      total += parsed.data.putRecordsRequests;
    }
  }
  return total;
}
