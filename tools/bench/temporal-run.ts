import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Client } from '@temporalio/client';
import { NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createPutRecordsBatcher, kinesisSender, type PutRecordsBatcher } from '../../src/publish/put-records-batcher';
import { createKinesisClient, createSqsClient } from '../../src/aws/clients';
import { dataConverterFromEnv } from '../../src/codec/data-converter';
import { DEFAULT_VALIDATION_LIMITS } from '../../src/domain/limits';
import { createPipelineWorkers, type PipelineWorkers } from '../../src/worker/pipeline-workers';
import { drainInputSchema, type DrainInputOverrides } from '../../workflows/drain-input';
import type { PlannedSubmission } from '../fleet/generate';
import { spawnWorkerProcess, type WorkerProcess } from '../stack/worker-process';
import { WORKFLOW_TYPE } from '../../workflows/names';
import { fetchRunChain, putRecordsRequestsOf, summarizeHistories } from './history';
import { expectedEvents, preload, verifyWithClock, type LargeMix } from './load';
import { loadFigures, ResourceMeter, type ArrivalClock, type BenchResources } from './stack';
import type { ConfigResult } from './types';

export interface TemporalContext {
  client: Client;
  connection: NativeConnection;
  bundle: WorkflowBundleWithSourceMap;
  clients: { sqs: SQSClient; kinesis: KinesisClient };
  aws: { region: string; sqsEndpoint?: string; kinesisEndpoint?: string };
  temporalAddress: string;
  namespace: string;
  clock: ArrivalClock;
}

/** The product's own AWS clients (keep-alive agents, no SDK retries), as src/worker.ts builds them. */
export function productClients(ctx: Pick<TemporalContext, 'aws'>): { sqs: SQSClient; kinesis: KinesisClient } {
  const config = {
    AWS_REGION: ctx.aws.region,
    AWS_ENDPOINT_URL: undefined,
    AWS_ENDPOINT_URL_SQS: ctx.aws.sqsEndpoint,
    AWS_ENDPOINT_URL_KINESIS: ctx.aws.kinesisEndpoint,
  };
  return { sqs: createSqsClient(config), kinesis: createKinesisClient(config) };
}

/** The in-process worker, the composition src/worker.ts deploys (both queues, the hold, one PutRecords batcher). */
export async function createInProcessWorker(
  ctx: TemporalContext,
  r: BenchResources,
  maxConcurrentActivities = 32,
): Promise<{ worker: PipelineWorkers; batcher: PutRecordsBatcher }> {
  const { sqs, kinesis } = productClients(ctx);
  const batcher = createPutRecordsBatcher(kinesisSender(kinesis, r.streamName));
  const worker = await createPipelineWorkers({
    connection: ctx.connection,
    taskQueue: r.taskQueue,
    // The codec of the spawned src/worker.ts (G8): both workers of a run must read each other's payloads.
    shared: { namespace: ctx.namespace, workflowBundle: ctx.bundle, dataConverter: dataConverterFromEnv() },
    deps: {
      sqs,
      kinesis,
      queueUrl: r.queueUrl,
      streamName: r.streamName,
      limits: DEFAULT_VALIDATION_LIMITS,
      putRecordsBatcher: batcher,
    },
    maxConcurrentActivities,
    maxHeldBytes: 0,
  });
  return { worker, batcher };
}

/** A second worker exactly as deployed: `src/worker.ts` in its own process (one pid, so its CPU is measured). */
export function spawnWorker(ctx: TemporalContext, r: BenchResources): WorkerProcess {
  return spawnWorkerProcess({
    SQS_QUEUE_URL: r.queueUrl,
    KINESIS_STREAM_NAME: r.streamName,
    TEMPORAL_TASK_QUEUE: r.taskQueue,
    TEMPORAL_ADDRESS: ctx.temporalAddress,
    TEMPORAL_NAMESPACE: ctx.namespace,
    METRICS_PORT: '0',
  });
}

/**
 * A deployed worker is long-running: the first workflow task of a process pays for setting up the workflow sandbox
 * (~0.3 s, measured with tools/bench/experiments/timeline.ts), later runs do not. One run over the still empty queue
 * pays it before the timer starts; its actions are not counted (another workflow id).
 */
async function warmUp(ctx: TemporalContext, r: BenchResources, lanes: number): Promise<void> {
  const input = drainInputSchema.parse({ mode: 'drain', lanes, receiveWaitSeconds: 0, searchAttributes: true });
  await ctx.client.workflow.execute(WORKFLOW_TYPE, {
    taskQueue: r.taskQueue,
    workflowId: `${r.taskQueue}-warm-up`,
    args: [input],
  });
}

/** A draining worker may be mid-batch: it gets longer than the default to finish gracefully. */
const SECOND_WORKER_GRACE_MS = 15_000;

export interface BacklogRunOptions {
  name: string;
  lanes: number;
  workers: 1 | 2;
  input: DrainInputOverrides;
  /** Set when `planned` is the large-submission mix (reported beside the ordinary mix). */
  largeMix?: LargeMix;
}

/**
 * Backlog mode on Temporal: preload the queue, start the worker(s), start one drainQueue run with the run input,
 * and time it from start to completion. The run drains until a receive comes back empty.
 */
export async function runTemporalBacklog(
  ctx: TemporalContext,
  r: BenchResources,
  planned: readonly PlannedSubmission[],
  o: BacklogRunOptions,
): Promise<ConfigResult> {
  const { worker, batcher } = await createInProcessWorker(ctx, r);
  const second = o.workers === 2 ? spawnWorker(ctx, r) : undefined;
  try {
    await second?.ready;
    const input = drainInputSchema.parse({ mode: 'drain', ...o.input, lanes: o.lanes, searchAttributes: true });
    const workflowId = `${r.taskQueue}-run`;
    const { submissions, clockBefore, meter, durationMs, firstRunId } = await worker.runUntil(async () => {
      await warmUp(ctx, r, o.lanes);
      // Preload last, right before the run starts, so queue waiting time is comparable across configurations.
      const preloaded = await preload(ctx.clients.sqs, r.queueUrl, planned);
      const clock = await ctx.clock.offsetMs();
      const resources = new ResourceMeter(second ? [second.pid] : []);
      const startedAt = Date.now();
      const handle = await ctx.client.workflow.start(WORKFLOW_TYPE, {
        taskQueue: r.taskQueue,
        workflowId,
        args: [input],
      });
      // result() follows the continue-as-new chain to the last run's result (a failed run throws here).
      await handle.result();
      return {
        submissions: preloaded,
        clockBefore: clock,
        meter: resources,
        durationMs: Date.now() - startedAt,
        firstRunId: handle.firstExecutionRunId,
      };
    });
    const usage = meter.stop();
    await second?.stop(SECOND_WORKER_GRACE_MS);

    const events = expectedEvents(planned);
    const { figures, latency, clockOffsetMs } = await verifyWithClock(ctx, submissions, r, clockBefore);
    const runs = await fetchRunChain(ctx.client, workflowId, firstRunId);
    const validSubmissions = planned.filter((p) => p.status === 'valid').length;
    return {
      name: o.name,
      kind: 'temporal',
      lanes: o.lanes,
      workers: o.workers,
      validSubmissions,
      ...loadFigures(planned.length, events, usage, durationMs),
      latencyMs: latency,
      clockOffsetMs,
      // One worker: the requests its batcher sent; two: the publish results' own count (the second worker's batcher
      // is in another process).
      putRecordsRequests: second
        ? await putRecordsRequestsOf(runs, ctx.client.options.loadedDataConverter.payloadCodecs)
        : batcher.stats().requests,
      verify: figures,
      ...(o.largeMix ? { largeMix: { ...o.largeMix, largeSubmissions: countLarge(planned, o.largeMix) } } : {}),
      temporal: summarizeHistories(runs, events),
    };
  } finally {
    await second?.stop(SECOND_WORKER_GRACE_MS).catch(() => undefined);
  }
}

function countLarge(planned: readonly PlannedSubmission[], mix: LargeMix): number {
  return planned.filter((p) => p.status === 'valid' && p.events.length === mix.events).length;
}
