import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { startPrivateTemporal, type PrivateTemporalServer } from '../../tools/chaos/temporal-server';
import { spawnWorkerProcess, type WorkerProcess } from '../../tools/chaos/workers';
import { configSchema, type Config } from '../../src/config/environment';
import { checkSearchAttributes } from '../../src/temporal/preflight-search-attributes';
import { applySchedule } from '../../src/schedule/apply-schedule';
import { createTestQueue, createTestStream, deleteTestQueue, deleteTestStream, emulatorClients } from '../helpers/aws';
import { testDataConverter, uniqueName } from '../helpers/temporal';

/**
 * G7 liveness on a namespace without the three run search attributes (a real cluster nobody registered them on): the
 * worker refuses to start with a message that says how to fix it, or, with the runs told not to set them, starts and
 * keeps completing runs. Never a worker that starts and a schedule that silently stops.
 */
jest.setTimeout(180_000);

describe('search attributes missing on the namespace', () => {
  const { sqs, kinesis } = emulatorClients();
  let server: PrivateTemporalServer;
  let client: Client;
  let queueUrl: string;
  const streamName = uniqueName('sa-events');
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    server = await startPrivateTemporal({ namespace: 'default', searchAttributes: [] });
    client = new Client({
      connection: await Connection.connect({ address: server.address }),
      namespace: 'default',
      dataConverter: testDataConverter(),
    });
    queueUrl = await createTestQueue(sqs, uniqueName('sa-submissions'));
    await createTestStream(kinesis, streamName, 1);
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await client?.connection.close();
    await server?.dispose();
    await deleteTestQueue(sqs, queueUrl).catch(() => undefined);
    await deleteTestStream(kinesis, streamName).catch(() => undefined);
  });

  function config(overrides: Record<string, string>): Config {
    return configSchema.parse({
      ...process.env,
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: 'default',
      SQS_QUEUE_URL: queueUrl,
      KINESIS_STREAM_NAME: streamName,
      METRICS_PORT: '0',
      ...overrides,
    });
  }

  function workerEnv(c: Config): Record<string, string> {
    return {
      TEMPORAL_ADDRESS: c.TEMPORAL_ADDRESS,
      TEMPORAL_NAMESPACE: c.TEMPORAL_NAMESPACE,
      TEMPORAL_TASK_QUEUE: c.TEMPORAL_TASK_QUEUE,
      SCHEDULE_ID: c.SCHEDULE_ID,
      SQS_QUEUE_URL: c.SQS_QUEUE_URL,
      KINESIS_STREAM_NAME: c.KINESIS_STREAM_NAME,
      SEARCH_ATTRIBUTES: String(c.SEARCH_ATTRIBUTES),
      RUN_MODE: c.RUN_MODE,
      METRICS_PORT: '0',
    };
  }

  /** Resolves with the exit code, or rejects if the worker started polling instead. */
  function exitOf(worker: WorkerProcess): Promise<string> {
    return worker.ready.then(
      () => Promise.reject(new Error(`the worker started although runs would wedge:\n${worker.output()}`)),
      () => worker.output(),
    );
  }

  it('the worker refuses to start, naming the attributes and both ways out', async () => {
    const c = config({ SCHEDULE_ID: uniqueName('sa-refuse'), TEMPORAL_TASK_QUEUE: uniqueName('sa-refuse-tq') });
    const worker = spawnWorkerProcess(workerEnv(c));
    workers.push(worker);
    const output = await exitOf(worker);
    expect(output).toContain('[search_attributes_missing]');
    expect(output).toMatch(/SubmissionsReceived \(Int\) is not registered/);
    expect(output).toContain(
      'temporal operator search-attribute create --namespace default --name EventsPublished --type Int',
    );
    expect(output).toContain('--search-attributes false');
  });

  it('the check reads the schedule: runs that set no search attributes need none', async () => {
    const warnings: string[] = [];
    const off = config({ SCHEDULE_ID: uniqueName('sa-check'), SEARCH_ATTRIBUTES: 'false' });
    expect(await checkSearchAttributes(client, off, (m) => warnings.push(m))).toEqual([]);
    expect(warnings.join('\n')).toMatch(/not registered.*harmless/s);

    // Once the schedule exists its run input decides, not the environment: here it sets them, so the worker refuses.
    await applySchedule(client, { ...off, SEARCH_ATTRIBUTES: true });
    const envOffScheduleOn = { ...off, SEARCH_ATTRIBUTES: false };
    expect(await checkSearchAttributes(client, envOffScheduleOn, () => undefined)).toHaveLength(1);
    await client.schedule.getHandle(off.SCHEDULE_ID).delete();
  });

  it('with the runs told not to set them, the worker starts and the schedule keeps completing runs', async () => {
    const c = config({
      SCHEDULE_ID: uniqueName('sa-off'),
      TEMPORAL_TASK_QUEUE: uniqueName('sa-off-tq'),
      SEARCH_ATTRIBUTES: 'false',
      SCHEDULE_INTERVAL: '2s',
      // Runs that end at an empty queue, so completions can be counted (continuous runs last their whole budget).
      RUN_MODE: 'drain',
    });
    expect(await applySchedule(client, c)).toBe('created');
    const worker = spawnWorkerProcess(workerEnv(c));
    workers.push(worker);
    await worker.ready;

    const handle = client.schedule.getHandle(c.SCHEDULE_ID);
    const completed = new Set<string>();
    const deadline = Date.now() + 120_000;
    while (completed.size < 2 && Date.now() < deadline) {
      const { info } = await handle.describe();
      for (const action of info.recentActions) {
        const { workflowId } = action.action.workflow;
        const { status } = await client.workflow.getHandle(workflowId).describe();
        if (status.name === 'COMPLETED') completed.add(workflowId);
      }
      await sleep(1_000);
    }
    await handle.delete();
    // Two runs, one after the other: the first closed, so the schedule went on.
    expect(completed.size).toBeGreaterThanOrEqual(2);
  });
});
