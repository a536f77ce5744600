import { setTimeout as sleep } from 'node:timers/promises';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { configSchema } from '../../src/config/environment';
import { scheduleOptions } from '../../src/schedule/definition';
import { readScheduleHealth } from '../../src/schedule/health';
import { emptyQueueActivities } from '../helpers/fake-activities';
import { connectTestEnv, createTestWorker, uniqueName } from '../helpers/temporal';

/** The liveness reading (G7) against the Temporal dev server: a schedule's last completed run and its healthy gap. */
jest.setTimeout(60_000);

describe('readScheduleHealth', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await connectTestEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('reports the creation time until a run completes, then that run’s close time', async () => {
    const config = configSchema.parse({
      SQS_QUEUE_URL: 'http://sqs.us-east-1.localhost:9324/000000000000/unused-by-this-test',
      KINESIS_STREAM_NAME: 'unused-by-this-test',
      TEMPORAL_TASK_QUEUE: uniqueName('health-tq'),
      SCHEDULE_ID: uniqueName('health'),
      SCHEDULE_INTERVAL: '999h',
      RUN_BUDGET_SECONDS: '120',
      // A run that ends at the (fake, empty) queue's first empty receive: its close time is what is read.
      RUN_MODE: 'drain',
    });
    const handle = await env.client.schedule.create(scheduleOptions(config));
    try {
      expect(await readScheduleHealth(env.client, uniqueName('no-such-schedule'))).toBeUndefined();
      const { info } = await handle.describe();
      const before = await readScheduleHealth(env.client, config.SCHEDULE_ID);
      expect(before).toEqual({ lastCompletedAtMs: info.createdAt.getTime(), healthyGapSeconds: 999 * 3600 + 120 });

      const worker = await createTestWorker(env, config.TEMPORAL_TASK_QUEUE, emptyQueueActivities());
      const closeTime = await worker.runUntil(async () => {
        await handle.trigger();
        for (let i = 0; i < 100; i++) {
          const started = (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId;
          if (started) {
            await env.client.workflow.getHandle(started).result();
            return (await env.client.workflow.getHandle(started).describe()).closeTime;
          }
          await sleep(200);
        }
        throw new Error('the schedule did not start a run');
      });
      const after = await readScheduleHealth(env.client, config.SCHEDULE_ID);
      expect(after?.lastCompletedAtMs).toBe(closeTime?.getTime());
      expect(after?.lastCompletedAtMs).toBeGreaterThan(info.createdAt.getTime());
    } finally {
      await handle.delete();
    }
  });
});
