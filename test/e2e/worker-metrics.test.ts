import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, type ChildProcess } from 'node:child_process';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { generateSubmissions } from '../../tools/fleet/generate';
import { sendSubmissions } from '../../tools/fleet/send';
import type { RunSummary } from '../../workflows/run-summary';
import { drainQueue } from '../../workflows';
import { createTestQueue, createTestStream, deleteTestQueue, deleteTestStream, emulatorClients } from '../helpers/aws';
import { connectTestEnv, uniqueName } from '../helpers/temporal';
import { freePort } from '../../tools/stack/free-port';

/**
 * The real worker entry point (`npm run worker`) as a child process, with its Prometheus endpoint: after a run over a
 * mixed load, the pipeline counters it exports add up (received = valid + invalid, published = events of the valid
 * submissions, deleted = received) and agree with the run's own summary.
 */
jest.setTimeout(120_000);

/** Sums every sample of a metric over its label sets. */
function metricTotal(exposition: string, name: string, labelFilter = ''): number {
  let total = 0;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+([0-9.eE+-]+)$/.exec(line);
    if (!match || match[1] !== name || !(match[2] ?? '').includes(labelFilter)) continue;
    total += Number(match[3]);
  }
  return total;
}

async function waitForMetrics(url: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    const ok = await fetch(url)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return;
    await sleep(200);
  }
  throw new Error(`worker metrics endpoint ${url} never answered`);
}

describe('worker process metrics', () => {
  let env: TestWorkflowEnvironment;
  let sqs: SQSClient;
  let kinesis: KinesisClient;
  let queueUrl: string;
  let worker: ChildProcess | undefined;
  let workerOutput = '';
  const streamName = uniqueName('metrics-events');
  const taskQueue = uniqueName('metrics-tq');

  beforeAll(async () => {
    env = await connectTestEnv();
    ({ sqs, kinesis } = emulatorClients());
    queueUrl = await createTestQueue(sqs, uniqueName('metrics-submissions'));
    await createTestStream(kinesis, streamName, 2);
  });
  afterAll(async () => {
    worker?.kill('SIGTERM');
    await deleteTestQueue(sqs, queueUrl);
    await deleteTestStream(kinesis, streamName);
    await env?.teardown();
  });

  it('exports pipeline counters that add up after a run', async () => {
    const planned = generateSubmissions(
      {
        seed: 7,
        devices: 5,
        brokenShare: 0.3,
        eventsMin: 1,
        eventsMax: 4,
        plainJsonShare: 0.2,
        startTimeMs: Date.now(),
      },
      120,
    );
    const sent = await sendSubmissions(sqs, planned, { queueUrl });
    expect(sent.every((r) => r.ok)).toBe(true);
    const valid = planned.flatMap((p) => (p.status === 'valid' ? [p] : []));
    const events = valid.reduce((sum, p) => sum + p.events.length, 0);

    const metricsPort = await freePort();
    worker = spawn(process.execPath, [require.resolve('tsx/cli'), 'src/worker.ts'], {
      cwd: `${__dirname}/../..`,
      env: {
        ...process.env,
        SQS_QUEUE_URL: queueUrl,
        KINESIS_STREAM_NAME: streamName,
        TEMPORAL_TASK_QUEUE: taskQueue,
        METRICS_PORT: String(metricsPort),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker.stdout?.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()));
    worker.stderr?.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()));
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    await waitForMetrics(metricsUrl);

    const summary: RunSummary = await env.client.workflow.execute(drainQueue, {
      taskQueue,
      workflowId: uniqueName('metrics-run'),
      args: [{ mode: 'drain', lanes: 2, receivesPerBatch: 3 }],
    });
    expect(summary).toMatchObject({ received: 120, valid: valid.length, eventsPublished: events, deleted: 120 });

    // The exporter may lag the activity completions by a moment.
    let exposition = '';
    for (let i = 0; i < 50; i++) {
      exposition = await (await fetch(metricsUrl)).text();
      if (metricTotal(exposition, 'edr_messages_deleted') >= 120) break;
      await sleep(200);
    }
    const received = metricTotal(exposition, 'edr_submissions_received');
    const validCount = metricTotal(exposition, 'edr_submissions_valid');
    const invalid = metricTotal(exposition, 'edr_submissions_invalid');
    expect({ received, validCount, invalid }).toEqual({
      received: 120,
      validCount: valid.length,
      invalid: 120 - valid.length,
    });
    expect(received).toBe(validCount + invalid);
    expect(metricTotal(exposition, 'edr_events_published')).toBe(events);
    expect(metricTotal(exposition, 'edr_messages_deleted')).toBe(120);
    // Invalid by reason: the reasons of the run summary, one sample per reason label.
    for (const [reason, count] of Object.entries(summary.invalidByReason)) {
      expect(metricTotal(exposition, 'edr_submissions_invalid', `reason="${reason}"`)).toBe(count);
    }
    expect(metricTotal(exposition, 'edr_end_to_end_lag_ms_count')).toBe(
      valid.filter((p) => p.events.length > 0).length,
    );
    // The SDK's own worker metrics are on the same endpoint.
    expect(exposition).toMatch(/temporal_activity_execution_latency/);
    // Its JSON log lines carry the steps' own messages (a batch's receive is logged at debug level only).
    expect(workerOutput).toMatch(/"message":"invalid submission dropped"/);
  });
});
