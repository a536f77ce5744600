import { setTimeout as sleep } from 'node:timers/promises';
import { configSchema } from '../../src/config/environment';
import { DEFAULT_VALIDATION_LIMITS } from '../../src/domain/limits';
import { drainQueue } from '../../workflows';
import { scheduleOptions } from '../../src/schedule/definition';
import { formatReport, judge, readAllRecords } from '../../tools/verify';
import { queueDepth } from '../helpers/aws';
import { createPipelineFixture, sendFleetLoad, type PipelineFixture } from '../helpers/pipeline-fixture';
import { createTestPipeline, uniqueName } from '../helpers/temporal';

/**
 * The whole product on the local stack: a real worker with the real activities, the real schedule (triggered), a
 * mixed fleet load (a third broken) sent to SQS, and every shard of the Kinesis stream read back and judged by the
 * independent verifier: each valid event exactly once with exact fields and order, nothing from a broken submission,
 * queue empty.
 */
jest.setTimeout(180_000);

describe('end to end: SQS → schedule → worker → Kinesis', () => {
  let fixture: PipelineFixture;
  const scheduleId = uniqueName('e2e-schedule');
  const taskQueue = uniqueName('e2e-tq');

  beforeAll(async () => {
    fixture = await createPipelineFixture('e2e');
  });
  afterAll(async () => {
    await fixture?.env.client.schedule
      .getHandle(scheduleId)
      .delete()
      .catch(() => undefined);
    await fixture?.teardown();
  });

  it('publishes every valid event exactly once, in order, drops every broken submission, and drains the queue', async () => {
    const { env, sqs, kinesis, queueUrl, streamName } = fixture;
    const load = await sendFleetLoad(fixture, 300);
    expect(load.validCount).toBeGreaterThan(150);

    const config = configSchema.parse({
      SQS_QUEUE_URL: queueUrl,
      KINESIS_STREAM_NAME: streamName,
      TEMPORAL_TASK_QUEUE: taskQueue,
      SCHEDULE_ID: scheduleId,
      RUN_MODE: 'drain', // the run ends when the queue is empty
      SCHEDULE_INTERVAL: '1h', // only our trigger starts a run
      MAX_NUMBER_OF_MESSAGES: '10',
      PARALLEL_LANES: '3',
    });
    const worker = await createTestPipeline(env, taskQueue, {
      sqs,
      kinesis,
      queueUrl,
      streamName,
      limits: DEFAULT_VALIDATION_LIMITS,
    });

    const summary = await worker.runUntil(async () => {
      const schedule = await env.client.schedule.create(scheduleOptions(config));
      await schedule.trigger();
      const workflowId = await firstRunOf(() => schedule.describe());
      return env.client.workflow.getHandle<typeof drainQueue>(workflowId).result();
    });

    expect(summary).toMatchObject({
      received: 300,
      valid: load.validCount,
      invalid: 300 - load.validCount,
      eventsPublished: load.expectedEvents,
      deleted: 300,
      failures: [],
    });

    const depth = await queueDepth(sqs, queueUrl);
    const records = await readAllRecords(kinesis, streamName);
    const report = judge(load.submissions, records, { queue: { visible: depth.visible, notVisible: depth.inFlight } });
    if (!report.ok) console.error(formatReport(report));
    expect(report.ok).toBe(true);
    expect(records).toHaveLength(load.expectedEvents);
  });
});

interface ScheduleRuns {
  info: { recentActions: { action: { workflow?: { workflowId: string } } }[] };
}

/** The workflow id of the schedule's first started run (a trigger is asynchronous). */
async function firstRunOf(describe: () => Promise<ScheduleRuns>): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const { info } = await describe();
    const started = info.recentActions[0]?.action.workflow?.workflowId;
    if (started) return started;
    await sleep(200);
  }
  throw new Error('the schedule did not start a run');
}
