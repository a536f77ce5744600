import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { configSchema } from '../../src/config';
import { DEFAULT_VALIDATION_LIMITS } from '../../src/domain/limits';
import { generateSubmissions } from '../../src/fleet/generate';
import { sendSubmissions, toManifestEntry } from '../../src/fleet/send';
import type { RunSummary } from '../../src/run-summary';
import { scheduleOptions } from '../../src/schedule/definition';
import { formatReport, judge, readAllRecords } from '../../src/verify';
import {
  createTestQueue,
  createTestStream,
  deleteTestQueue,
  deleteTestStream,
  emulatorClients,
  queueDepth,
} from '../helpers/aws';
import { connectTestEnv, uniqueName, workflowBundle } from '../helpers/temporal';

/**
 * The whole product on the local stack: a real worker with the real activities, the real schedule (triggered), a
 * mixed fleet load (a third broken) sent to SQS, and every shard of the Kinesis stream read back and judged by the
 * independent verifier: each valid event exactly once with exact fields and order, nothing from a broken submission,
 * queue empty.
 */
jest.setTimeout(180_000);

describe('end to end: SQS → schedule → worker → Kinesis', () => {
  let env: TestWorkflowEnvironment;
  let sqs: SQSClient;
  let kinesis: KinesisClient;
  let queueUrl: string;
  const streamName = uniqueName('e2e-events');
  const scheduleId = uniqueName('e2e-schedule');
  const taskQueue = uniqueName('e2e-tq');

  beforeAll(async () => {
    env = await connectTestEnv();
    ({ sqs, kinesis } = emulatorClients());
    queueUrl = await createTestQueue(sqs, uniqueName('e2e-submissions'));
    await createTestStream(kinesis, streamName, 2);
  });
  afterAll(async () => {
    await env?.client.schedule
      .getHandle(scheduleId)
      .delete()
      .catch(() => undefined);
    await deleteTestQueue(sqs, queueUrl);
    await deleteTestStream(kinesis, streamName);
    await env?.teardown();
  });

  it('publishes every valid event exactly once, in order, drops every broken submission, and drains the queue', async () => {
    const planned = generateSubmissions(
      {
        seed: 20261128,
        devices: 10,
        brokenShare: 1 / 3,
        eventsMin: 1,
        eventsMax: 5,
        plainJsonShare: 0.1,
        startTimeMs: Date.now(),
      },
      300,
    );
    const sent = await sendSubmissions(sqs, planned, { queueUrl });
    const manifest = sent.map((result) => toManifestEntry(result));
    const submissions = manifest.flatMap((e) => (e.kind === 'submission' ? [e] : []));
    expect(submissions).toHaveLength(300);
    const validCount = planned.filter((p) => p.status === 'valid').length;
    const expectedEvents = planned.reduce((sum, p) => sum + (p.status === 'valid' ? p.events.length : 0), 0);
    expect(validCount).toBeGreaterThan(150);

    const config = configSchema.parse({
      SQS_QUEUE_URL: queueUrl,
      KINESIS_STREAM_NAME: streamName,
      TEMPORAL_TASK_QUEUE: taskQueue,
      SCHEDULE_ID: scheduleId,
      SCHEDULE_INTERVAL: '1h', // only our trigger starts a run
      MAX_NUMBER_OF_MESSAGES: '10',
      PARALLEL_LANES: '3',
    });
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: createActivities({ sqs, kinesis, queueUrl, streamName, limits: DEFAULT_VALIDATION_LIMITS }),
    });

    const summary = await worker.runUntil(async () => {
      const schedule = await env.client.schedule.create(scheduleOptions(config));
      await schedule.trigger();
      const workflowId = await firstRunOf(schedule.describe.bind(schedule));
      return env.client.workflow.getHandle(workflowId).result() as Promise<RunSummary>;
    });

    expect(summary).toMatchObject({
      received: 300,
      valid: validCount,
      invalid: 300 - validCount,
      eventsPublished: expectedEvents,
      deleted: 300,
      failures: [],
    });

    const depth = await queueDepth(sqs, queueUrl);
    const records = await readAllRecords(kinesis, streamName);
    const report = judge(submissions, records, { queue: { visible: depth.visible, notVisible: depth.inFlight } });
    if (!report.ok) console.error(formatReport(report));
    expect(report.ok).toBe(true);
    expect(records).toHaveLength(expectedEvents);
  });
});

/** The workflow id of the schedule's first started run (a trigger is asynchronous). */
async function firstRunOf(
  describe: () => Promise<{ info: { recentActions: { action: { workflow?: { workflowId: string } } }[] } }>,
): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const { info } = await describe();
    const started = info.recentActions[0]?.action.workflow?.workflowId;
    if (started) return started;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the schedule did not start a run');
}
