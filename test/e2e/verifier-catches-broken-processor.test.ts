import { Worker } from '@temporalio/worker';
import { createActivities, type PipelineActivities } from '../../activities';
import { recordsToPublish } from '../../activities/publish-records';
import { DEFAULT_VALIDATION_LIMITS } from '../../src/domain/limits';
import { judge, readAllRecords, type CheckCode } from '../../tools/verify';
import { drainQueue } from '../../workflows';
import { queueDepth } from '../helpers/aws';
import { createPipelineFixture, sendFleetLoad, type PipelineFixture } from '../helpers/pipeline-fixture';
import { testDataConverter, uniqueName, workflowBundle } from '../helpers/temporal';

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
  afterEach(async () => {
    await fixture?.teardown();
  });

  it.each(defects)('a processor that %s fails verification', async (_defect, sabotage, expectedCheck) => {
    const load = await sendFleetLoad(fixture, 60, { eventsMin: 2, eventsMax: 4 });
    const { sqs, kinesis, queueUrl, streamName } = fixture;
    const real = createActivities({ sqs, kinesis, queueUrl, streamName, limits: DEFAULT_VALIDATION_LIMITS });
    const broken: PipelineActivities = {
      ...real,
      publishEvents: (input) => {
        // The records the real activity would derive, sabotaged, handed to it in the records form it also accepts.
        const request = recordsToPublish(input);
        return real.publishEvents({
          ...request,
          submissions: request.submissions.map((s) => ({ ...s, records: sabotage(s.records) })),
        });
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
