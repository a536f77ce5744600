import { activityStatsOf } from '../../../tools/chaos/activity-stats';
import { evidenceProblems } from '../../../tools/chaos/runner';

// TimeoutType.HEARTBEAT and START_TO_CLOSE in temporal.api.enums.v1.
const HEARTBEAT = 4;
const START_TO_CLOSE = 1;
const SCHEDULE_TO_START = 2;

const scheduled = (eventId: number, name: string) => ({
  eventId,
  activityTaskScheduledEventAttributes: { activityType: { name } },
});
const started = (scheduledEventId: number, attempt: number, timeoutType?: number, message = 'activity timeout') => ({
  activityTaskStartedEventAttributes: {
    scheduledEventId,
    attempt,
    ...(timeoutType === undefined ? {} : { lastFailure: { message, timeoutFailureInfo: { timeoutType } } }),
  },
});

describe('activity stats of chaos runs (from workflow histories)', () => {
  it('counts scheduled tasks, retried ones, heartbeat timeouts and steps whose worker was gone, per activity type', () => {
    const run1 = [
      scheduled(5, 'publishEvents'),
      started(5, 1),
      scheduled(9, 'deleteMessages'),
      started(9, 3, HEARTBEAT, 'activity Heartbeat timeout'),
      scheduled(12, 'deleteMessages'),
      started(12, 2, START_TO_CLOSE, 'activity StartToClose timeout'),
    ];
    const run2 = [
      scheduled(5, 'deleteMessages'),
      started(5, 1),
      scheduled(7, 'publishEvents'),
      {
        activityTaskTimedOutEventAttributes: {
          scheduledEventId: 7,
          failure: { timeoutFailureInfo: { timeoutType: HEARTBEAT } },
        },
      },
      // A step of a batch whose worker was gone: no poller on its queue.
      scheduled(11, 'validateSubmissions'),
      {
        activityTaskTimedOutEventAttributes: {
          scheduledEventId: 11,
          failure: { timeoutFailureInfo: { timeoutType: SCHEDULE_TO_START } },
        },
      },
    ];
    expect(activityStatsOf([run1, run2])).toEqual({
      publishEvents: { scheduled: 2, retried: 0, heartbeatTimeouts: 1, workerGone: 0, lastFailures: [] },
      deleteMessages: {
        scheduled: 3,
        retried: 2,
        heartbeatTimeouts: 1,
        workerGone: 0,
        lastFailures: ['activity Heartbeat timeout', 'activity StartToClose timeout'],
      },
      validateSubmissions: { scheduled: 1, retried: 0, heartbeatTimeouts: 0, workerGone: 1, lastFailures: [] },
    });
  });

  it('is empty for runs without activities', () => {
    expect(activityStatsOf([[], [{ eventId: 1 }]])).toEqual({});
  });
});

describe('evidence that a fault hit work in flight', () => {
  it('fails a scenario that recorded none, or any zero', () => {
    expect(evidenceProblems([])).toEqual(['the scenario recorded no evidence that its fault hit work in flight']);
    expect(
      evidenceProblems([
        { label: 'messages held', value: 12 },
        { label: 'PutRecords after the fault', value: 0 },
      ]),
    ).toEqual(['no evidence the fault hit work in flight: PutRecords after the fault = 0']);
    expect(evidenceProblems([{ label: 'messages held', value: 12 }])).toEqual([]);
  });
});
