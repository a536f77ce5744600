import {
  actionsPer1000,
  countActions,
  estimateHeartbeats,
  historyStats,
  type HistoryEventLike,
} from '../../../tools/bench/actions';
import { defaultPayloadConverter } from '@temporalio/common';
import { putRecordsRequestsOf } from '../../../tools/bench/history';

const at = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });
// As the SDK writes a value without codecs: JSON with its encoding in the metadata.
const payload = (value: unknown) => ({ payloads: [defaultPayloadConverter.toPayload(value)] });

/** One activity: scheduled, started (attempt n), completed. */
function activity(
  firstId: number,
  type: string,
  t0: number,
  opts: { attempt?: number; startAfter?: number; runMs?: number; result?: unknown } = {},
): HistoryEventLike[] {
  const started = t0 + (opts.startAfter ?? 10);
  return [
    {
      eventId: firstId,
      eventTime: at(t0),
      activityTaskScheduledEventAttributes: { activityType: { name: type }, input: payload({ in: type }) },
    },
    {
      eventId: firstId + 1,
      eventTime: at(started),
      activityTaskStartedEventAttributes: { scheduledEventId: firstId, attempt: opts.attempt ?? 1 },
    },
    {
      eventId: firstId + 2,
      eventTime: at(started + (opts.runMs ?? 100)),
      activityTaskCompletedEventAttributes: { scheduledEventId: firstId, result: payload(opts.result ?? {}) },
    },
  ];
}

const wfTask = (id: number): HistoryEventLike => ({ eventId: id, workflowTaskCompletedEventAttributes: {} });

describe('Temporal actions from histories', () => {
  const run1: HistoryEventLike[] = [
    { eventId: 1, eventTime: at(0), workflowExecutionStartedEventAttributes: {} },
    wfTask(4),
    ...activity(5, 'receiveSubmissions', 1000),
    wfTask(9),
    ...activity(10, 'publishEvents', 2000, { attempt: 3, runMs: 80_000, result: { putRecordsRequests: 7 } }),
    { eventId: 13, timerStartedEventAttributes: {} },
    { eventId: 14, workflowExecutionSignaledEventAttributes: {} },
    { eventId: 15, upsertWorkflowSearchAttributesEventAttributes: {} },
    { eventId: 16, startChildWorkflowExecutionInitiatedEventAttributes: {} },
    wfTask(17),
    { eventId: 18, markerRecordedEventAttributes: { markerName: 'core_local_activity' } },
    { eventId: 19, markerRecordedEventAttributes: { markerName: 'core_local_activity' } },
    wfTask(20),
    { eventId: 21, markerRecordedEventAttributes: { markerName: 'core_local_activity' } },
    { eventId: 22, markerRecordedEventAttributes: { markerName: 'core_patch' } },
    { eventId: 23, workflowExecutionContinuedAsNewEventAttributes: { newExecutionRunId: 'run-2' } },
  ];
  const run2: HistoryEventLike[] = [
    { eventId: 1, eventTime: at(0), workflowExecutionStartedEventAttributes: {} },
    ...activity(5, 'deleteMessages', 500, { runMs: 200 }),
  ];

  it('counts each billable kind once per occurrence, retries per attempt, local activities per workflow task', () => {
    const c = countActions([run1, run2]);
    expect(c).toEqual({
      workflowStarts: 2, // the continue-as-new run's start is the charge for continuing
      activityTasks: 3,
      activityRetries: 2, // publishEvents succeeded on attempt 3
      localActivityTasks: 2, // two workflow tasks recorded local-activity markers; core_patch is not one
      timers: 1,
      signals: 1,
      upserts: 1,
      childWorkflows: 1,
      continueAsNew: 1, // informational only
      total: 2 + 3 + 2 + 2 + 1 + 1 + 1 + 1,
    });
  });

  it('reports actions per 1,000 events', () => {
    expect(actionsPer1000(13, 1300)).toBe(10);
    expect(actionsPer1000(13, 0)).toBeNull();
  });

  it('estimates heartbeats: none under 10 s, then the first at once and one per 24 s (SDK throttle)', () => {
    expect(estimateHeartbeats(0)).toBe(0);
    expect(estimateHeartbeats(9_999)).toBe(0);
    expect(estimateHeartbeats(10_000)).toBe(1);
    expect(estimateHeartbeats(33_999)).toBe(1);
    expect(estimateHeartbeats(34_000)).toBe(2);
  });

  it('measures schedule-to-start, run time and payload bytes per activity type', () => {
    const s = historyStats([run1, run2], ['publishEvents', 'deleteMessages']);
    expect(s.runs).toBe(2);
    expect(s.events).toBe(run1.length + run2.length);
    const publish = s.activities.find((a) => a.type === 'publishEvents');
    expect(publish).toMatchObject({ count: 1, meanScheduleToStartMs: 10, meanRunMs: 80_000 });
    // The 80 s publish: at 10 s, 34 s and 58 s; the short delete sends none.
    expect(s.heartbeatsEstimated).toBe(3);
    expect(s.payloadBytes).toBeGreaterThan(0);
    expect(s.activities.map((a) => a.type)).toEqual(['deleteMessages', 'publishEvents', 'receiveSubmissions']);
  });

  it('reads PutRecords request counts from the publish results', async () => {
    await expect(putRecordsRequestsOf([run1, run2], [])).resolves.toBe(7);
  });
});
