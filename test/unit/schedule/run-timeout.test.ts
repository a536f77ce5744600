import { configSchema } from '../../../src/config/environment';
import {
  firstReceiveWaitSeconds,
  RUN_DRAIN_ALLOWANCE_SECONDS,
  runDeadlineMs,
  runExecutionTimeoutSeconds,
} from '../../../workflows/run-timeout';
import { scheduleOptions } from '../../../src/schedule/definition';

/** G7 liveness: the schedule's action carries an execution timeout derived from the run budget. */
const config = (env: Record<string, string> = {}) =>
  configSchema.parse({
    SQS_QUEUE_URL: 'http://sqs.us-east-1.localhost:9324/000000000000/q',
    KINESIS_STREAM_NAME: 'events',
    ...env,
  });

describe('run timeout of the schedule action', () => {
  it('is the run budget plus the worst-case drain of a batch in flight plus a margin', () => {
    expect(RUN_DRAIN_ALLOWANCE_SECONDS).toBe(4639);
    expect(runExecutionTimeoutSeconds(300)).toBe(300 + 4639 + 300);
  });

  it('is set on the schedule action, following RUN_BUDGET_SECONDS', () => {
    for (const budget of [300, 60, 7200]) {
      const { action } = scheduleOptions(config({ RUN_BUDGET_SECONDS: String(budget) }));
      expect(action.workflowExecutionTimeout).toBe((budget + 4639 + 300) * 1000);
    }
  });

  it('never lets a run start batches so late that its drain would outlive the timeout', () => {
    const start = 1_000_000;
    // No timeout (histories from before it existed): the budget alone decides.
    expect(runDeadlineMs(start, 300)).toBe(start + 300_000);
    // The timeout the schedule sets: the budget decides.
    const expires = start + runExecutionTimeoutSeconds(300) * 1000;
    expect(runDeadlineMs(start, 300, expires)).toBe(start + 300_000);
    // Budget raised by hand to an hour, timeout left at the 300 s figure: stop early enough to drain in time.
    expect(runDeadlineMs(start, 3600, expires)).toBe(expires - 4639 * 1000);
    expect(runDeadlineMs(start, 3600, expires)).toBeLessThan(start + 3600_000);
  });
});

describe('firstReceiveWaitSeconds', () => {
  const input = { mode: 'continuous', idleWaitSeconds: 20, receiveWaitSeconds: 1 } as const;

  it('long-polls idleWaitSeconds in continuous mode while the deadline is further away', () => {
    expect(firstReceiveWaitSeconds(input, 0, 60_000)).toBe(20);
  });

  it('never waits past the deadline, but at least 1 s', () => {
    expect(firstReceiveWaitSeconds(input, 0, 7_200)).toBe(8);
    expect(firstReceiveWaitSeconds(input, 0, 300)).toBe(1);
  });

  it('drain mode waits receiveWaitSeconds, whose empty answer ends the lane', () => {
    expect(firstReceiveWaitSeconds({ ...input, mode: 'drain' }, 0, 60_000)).toBe(1);
  });
});
