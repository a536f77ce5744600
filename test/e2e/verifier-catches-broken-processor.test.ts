import { Worker } from '@temporalio/worker';
import type { MessageHold, PipelineActivities } from '../../activities';
import { DEFAULT_VALIDATION_LIMITS } from '../../src/domain/limits';
import { judge, readAllRecords, type CheckCode } from '../../tools/verify';
import { drainQueue } from '../../workflows';
import { queueDepth } from '../helpers/aws';
import { createPipelineFixture, sendFleetLoad, type PipelineFixture } from '../helpers/pipeline-fixture';
import { createHeldActivities, testDataConverter, uniqueName, workflowBundle } from '../helpers/temporal';

/**
 * The verifier must catch a wrong processor, not only bless a right one: the real pipeline with one deliberate defect
 * in what it publishes, on the real emulators, judged by the verifier.
 */
jest.setTimeout(120_000);

type Sabotage = (records: string[]) => string[];

const defects: [string, Sabotage, CheckCode][] = [
  ['reverses the events of each submission', (records) => [...records].reverse(), 'order'],
  ['drops the last event of each submission', (records) => records.slice(0, -1), 'lost'],
];

describe('the verifier catches a broken processor', () => {
  let fixture: PipelineFixture;
  beforeEach(async () => {
    fixture = await createPipelineFixture('sabotage');
  });
  const holds: MessageHold[] = [];
  afterEach(async () => {
    holds.splice(0).forEach((hold) => hold.close());
    await fixture?.teardown();
  });

  it.each(defects)('a processor that %s fails verification', async (_defect, sabotage, expectedCheck) => {
    const load = await sendFleetLoad(fixture, 60, { eventsMin: 2, eventsMax: 4 });
    const { sqs, kinesis, queueUrl, streamName } = fixture;
    const { activities: real, hold } = createHeldActivities({
      sqs,
      kinesis,
      queueUrl,
      streamName,
      limits: DEFAULT_VALIDATION_LIMITS,
    });
    holds.push(hold);
    const broken: PipelineActivities = {
      ...real,
      validateSubmissions: async (request) => {
        const judged = await real.validateSubmissions(request);
        // The records the real validate derived, sabotaged where the publish will take them: the held batch.
        await hold.use(request.batchId, async (batch) => {
          for (const message of batch.messages.values()) {
            if (message.validation?.valid)
              message.validation.submission.records = sabotage(message.validation.submission.records);
          }
        });
        return judged;
      },
    };
    const taskQueue = uniqueName('sabotage-tq');
    const worker = await Worker.create({
      dataConverter: testDataConverter(),
      connection: fixture.env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: broken,
    });
    await worker.runUntil(
      fixture.env.client.workflow.execute(drainQueue, {
        taskQueue,
        workflowId: uniqueName('sabotage'),
        args: [{ mode: 'drain' }],
      }),
    );

    const depth = await queueDepth(fixture.sqs, fixture.queueUrl);
    const report = judge(load.submissions, await readAllRecords(fixture.kinesis, fixture.streamName), {
      queue: { visible: depth.visible, notVisible: depth.inFlight },
    });
    expect(report.ok).toBe(false);
    expect(report.checks[expectedCheck].count).toBeGreaterThan(0);
    expect(report.checks[expectedCheck].violation).toBe(true);
  });
});
