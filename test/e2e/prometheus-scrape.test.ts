import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { z } from 'zod';
import { generateSubmissions } from '../../tools/fleet/generate';
import { sendSubmissions } from '../../tools/fleet/send';
import type { RunSummary } from '../../workflows/run-summary';
import { drainQueue } from '../../workflows';
import {
  createTestQueue,
  createTestStream,
  deleteTestQueue,
  deleteTestStream,
  emulatorClients,
  queueArn,
} from '../helpers/aws';
import { connectTestEnv, uniqueName } from '../helpers/temporal';
import { freePort } from '../../tools/stack/free-port';

/**
 * A real Prometheus (Debian's `prometheus`, installed by scripts/install-prometheus.sh) started as a plain process with
 * a generated configuration that scrapes a running worker (`src/worker.ts` as a child process) and loads the alert
 * rules of deploy/prometheus/rules.yml. After a run over a mixed load, PromQL over its HTTP API returns the pipeline's
 * counters, a recording rule evaluates, and the dead-letter gauge shows the DLQ's depth. Every wait is a bounded poll.
 */
jest.setTimeout(180_000);

const ROOT = resolve(__dirname, '../..');

async function pollUntil<T>(what: string, timeoutMs: number, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
      last = 'condition not met yet';
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) throw new Error(`${what}: not after ${timeoutMs} ms (${last})`);
    await sleep(500);
  }
}

const vectorResponse = z.object({
  status: z.literal('success'),
  data: z.object({
    resultType: z.literal('vector'),
    result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: z.tuple([z.number(), z.string()]) })),
  }),
});

const rulesResponse = z.object({
  status: z.literal('success'),
  data: z.object({
    groups: z.array(
      z.object({
        name: z.string(),
        rules: z.array(z.object({ name: z.string(), health: z.string(), type: z.string() })),
      }),
    ),
  }),
});

function spawnLogged(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): { child: ChildProcess; log: () => string } {
  let log = '';
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  return { child, log: () => log };
}

/** Stops a child and everything it started (tsx runs the worker in a grandchild). */
function stop(child: ChildProcess | undefined): void {
  if (child?.pid !== undefined && child.exitCode === null) {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}

describe('a real Prometheus scraping a running worker', () => {
  let env: TestWorkflowEnvironment;
  let sqs: SQSClient;
  let kinesis: KinesisClient;
  let queueUrl: string;
  let dlqUrl: string;
  let worker: ReturnType<typeof spawnLogged> | undefined;
  let prometheus: ReturnType<typeof spawnLogged> | undefined;
  let dataDir: string;
  const streamName = uniqueName('prom-events');
  const taskQueue = uniqueName('prom-tq');

  beforeAll(async () => {
    const found = spawnSync('prometheus', ['--version'], { encoding: 'utf8' });
    if (found.error || found.status !== 0) {
      throw new Error('prometheus is not installed: run bash scripts/install-prometheus.sh (root) first');
    }
    env = await connectTestEnv();
    ({ sqs, kinesis } = emulatorClients());
    dlqUrl = await createTestQueue(sqs, uniqueName('prom-dlq'));
    queueUrl = await createTestQueue(sqs, uniqueName('prom-submissions'), {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: await queueArn(sqs, dlqUrl), maxReceiveCount: 5 }),
    });
    await createTestStream(kinesis, streamName, 2);
    dataDir = mkdtempSync(join(tmpdir(), 'edr-prometheus-'));
  });
  afterAll(async () => {
    stop(worker?.child);
    stop(prometheus?.child);
    await deleteTestQueue(sqs, queueUrl);
    await deleteTestQueue(sqs, dlqUrl);
    await deleteTestStream(kinesis, streamName);
    await env?.teardown();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('returns the pipeline counters, the recording rules and the DLQ depth over PromQL', async () => {
    const planned = generateSubmissions(
      {
        seed: 11,
        devices: 4,
        brokenShare: 0.3,
        eventsMin: 1,
        eventsMax: 3,
        plainJsonShare: 0.2,
        startTimeMs: Date.now(),
      },
      50,
    );
    expect((await sendSubmissions(sqs, planned, { queueUrl })).every((r) => r.ok)).toBe(true);
    const valid = planned.filter((p) => p.status === 'valid');
    const events = valid.reduce((sum, p) => sum + p.events.length, 0);
    for (const body of ['dead-1', 'dead-2']) {
      await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: body }));
    }

    const metricsPort = await freePort();
    worker = spawnLogged(process.execPath, [require.resolve('tsx/cli'), 'src/worker.ts'], {
      ...process.env,
      SQS_QUEUE_URL: queueUrl,
      SQS_DLQ_URL: undefined,
      KINESIS_STREAM_NAME: streamName,
      TEMPORAL_TASK_QUEUE: taskQueue,
      METRICS_PORT: String(metricsPort),
      DLQ_METRICS_POLL_SECONDS: '1',
    });

    const promPort = await freePort();
    const configPath = join(dataDir, 'prometheus.yml');
    writeFileSync(
      configPath,
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'rule_files:',
        `  - ${JSON.stringify(join(ROOT, 'deploy/prometheus/rules.yml'))}`,
        'scrape_configs:',
        '  - job_name: edr-worker',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${metricsPort}']`,
        '',
      ].join('\n'),
    );
    prometheus = spawnLogged(
      'prometheus',
      [
        `--config.file=${configPath}`,
        `--storage.tsdb.path=${join(dataDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        '--log.level=warn',
      ],
      process.env,
    );
    const api = `http://127.0.0.1:${promPort}`;
    const query = async (promql: string) => {
      const response = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`);
      return vectorResponse.parse(await response.json()).data.result;
    };
    /** The single value of a query, once it satisfies `ok`. */
    const valueOnce = (promql: string, ok: (v: number) => boolean) =>
      pollUntil(`${promql} as expected`, 90_000, async () => {
        const result = await query(promql);
        const v = result.length === 1 ? Number(result[0]?.value[1]) : Number.NaN;
        return ok(v) ? v : undefined;
      });

    await pollUntil('prometheus ready', 60_000, async () =>
      (await fetch(`${api}/-/ready`)).ok ? true : undefined,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\nprometheus log:\n${prometheus?.log() ?? ''}`);
    });
    // The worker is a scrape target that answers (up == 1) before it gets work.
    await valueOnce('up{job="edr-worker"}', (v) => v === 1).catch((err: unknown) => {
      throw new Error(`${String(err)}\nworker log:\n${worker?.log() ?? ''}`);
    });

    const summary: RunSummary = await env.client.workflow.execute(drainQueue, {
      taskQueue,
      workflowId: uniqueName('prom-run'),
      args: [{ mode: 'drain', lanes: 2, receivesPerBatch: 3 }],
    });
    expect(summary).toMatchObject({ received: 50, valid: valid.length, eventsPublished: events, deleted: 50 });

    // Prometheus agrees with the run once it has scraped the final counters.
    expect(await valueOnce('sum(edr_submissions_received{job="edr-worker"})', (v) => v === 50)).toBe(50);
    expect(await valueOnce('sum(edr_events_published{job="edr-worker"})', (v) => v === events)).toBeGreaterThan(0);
    expect(await valueOnce('sum(edr_messages_deleted{job="edr-worker"})', (v) => v === 50)).toBe(50);
    const byReason = await query('sum by (reason) (edr_submissions_invalid{job="edr-worker"})');
    expect(Object.fromEntries(byReason.map((s) => [s.metric.reason, Number(s.value[1])]))).toEqual(
      summary.invalidByReason,
    );
    expect(await valueOnce('sum(edr_end_to_end_lag_ms_count{job="edr-worker"})', (v) => v > 0)).toBeGreaterThan(0);
    // The SDK's own metrics come through the same scrape.
    expect(
      await valueOnce('sum(temporal_workflow_completed{job="edr-worker", workflow_type="drainQueue"})', (v) => v >= 1),
    ).toBeGreaterThanOrEqual(1);
    // The DLQ gauge shows the two dead letters.
    expect(await valueOnce('max(edr_dlq_messages{job="edr-worker"})', (v) => v === 2)).toBe(2);

    // The rules file loads and evaluates: every rule healthy, and a recording rule over the counters is above 0.
    const rules = await pollUntil('rules evaluated', 60_000, async () => {
      const parsed = rulesResponse.parse(await (await fetch(`${api}/api/v1/rules`)).json());
      const all = parsed.data.groups.flatMap((g) => g.rules);
      return all.length > 0 && all.every((r) => r.health === 'ok') ? all : undefined;
    });
    expect(rules.map((r) => r.name)).toEqual(
      expect.arrayContaining(['EdrWorkerDown', 'edr:submissions_received:rate5m']),
    );
    // A counter series appears with its first value, which rate() cannot see as an increase: a second run grows the
    // counters between two scrapes, and the recording rule over them then shows a rate above 0.
    const more = generateSubmissions(
      { seed: 12, devices: 2, brokenShare: 0, eventsMin: 1, eventsMax: 2, plainJsonShare: 0, startTimeMs: Date.now() },
      20,
    );
    expect((await sendSubmissions(sqs, more, { queueUrl })).every((r) => r.ok)).toBe(true);
    await env.client.workflow.execute(drainQueue, {
      taskQueue,
      workflowId: uniqueName('prom-run-2'),
      args: [{ mode: 'drain', lanes: 1 }],
    });
    expect(await valueOnce('sum(edr_submissions_received{job="edr-worker"})', (v) => v === 70)).toBe(70);
    expect(await valueOnce('edr:submissions_received:rate5m', (v) => v > 0)).toBeGreaterThan(0);
  });
});
