import { defaultPayloadConverter, type DataConverter, type Payload } from '@temporalio/common';
import { MockActivityEnvironment, TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { createActivities, MessageHold, type ActivityDeps, type PipelineActivities } from '../../activities';
import { createPipelineWorkers, type PipelineWorkers } from '../../src/worker/pipeline-workers';
import { dataConverterFromEnv } from '../../src/codec/data-converter';
import { bundleWorkflows } from '../../src/temporal/workflow-bundle';

let runtimeInstalled = false;

/** Tests run against the project's Temporal dev server (npm run stack), never a runtime download. */
export function connectTestEnv(): Promise<TestWorkflowEnvironment> {
  if (!runtimeInstalled) {
    // Worker chatter (and the expected warnings about invalid test submissions) drowns test output; errors still show.
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    runtimeInstalled = true;
  }
  return TestWorkflowEnvironment.createFromExistingServer({
    address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    // The same codec as every test worker (testDataConverter) and as src/worker.ts spawned by tests: the dev key that
    // test/setup-env.ts loads from .stack/payload-keys.env, so results written by either are readable here.
    client: { dataConverter: testDataConverter() },
  });
}

let dataConverter: DataConverter | undefined;

/** The data converter of src/worker.ts under the test environment: pass it to every test Worker.create and Client. */
export function testDataConverter(): DataConverter {
  dataConverter ??= dataConverterFromEnv();
  return dataConverter;
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Bundling the workflows takes seconds; every worker of a test file shares one bundle. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflows();
  return bundle;
}

/** A worker on the test server with what every test worker shares: its data converter and the workflow bundle. */
export async function createTestWorker(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  activities: PipelineActivities,
): Promise<Worker> {
  return Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities,
    dataConverter: testDataConverter(),
  });
}

/** The worker composition src/worker.ts deploys (shared queue + the worker's own queue), on the test server. */
export async function createTestPipeline(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  deps: Omit<ActivityDeps, 'hold' | 'ownTaskQueue'>,
): Promise<PipelineWorkers> {
  return createPipelineWorkers({
    connection: env.nativeConnection,
    taskQueue,
    shared: { dataConverter: testDataConverter(), workflowBundle: await workflowBundle() },
    deps,
    maxConcurrentActivities: 32,
    maxHeldBytes: 0,
  });
}

/**
 * The real activities with a hold of their own, for a single test worker that polls one queue for everything (the
 * receive then names that queue for the batch's steps). Close the hold after the test: its leases are timers.
 */
export function createHeldActivities(deps: Omit<ActivityDeps, 'hold' | 'ownTaskQueue'>): {
  activities: PipelineActivities;
  hold: MessageHold;
} {
  const hold = new MessageHold(deps, { maxBytes: 64 * 1024 * 1024, idleReleaseMs: 60_000 });
  return { activities: createActivities({ ...deps, hold }), hold };
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** MockActivityEnvironment.run with the activity's result type kept (its own signature loses it). */
export function runActivity<A extends unknown[], R>(
  fn: (...args: A) => Promise<R>,
  args: A,
  env: MockActivityEnvironment = quietActivityEnvironment(),
): Promise<R> {
  return env.run(fn, ...args);
}

export function quietActivityEnvironment(
  info?: ConstructorParameters<typeof MockActivityEnvironment>[0],
): MockActivityEnvironment {
  return new MockActivityEnvironment(info, { logger: new DefaultLogger('WARN') });
}

/** A payload read from a history as the test worker wrote it (through the codecs, last one first), as a value. */
export async function decodeTestPayload(payload: Payload): Promise<unknown> {
  const [decoded] = await decodeTestPayloads([payload]);
  if (decoded === undefined) throw new Error('a codec returned no payload');
  return defaultPayloadConverter.fromPayload<unknown>(decoded);
}

/** Payloads as the payload converter wrote them, before the codecs (last codec first). */
export async function decodeTestPayloads(payloads: Payload[]): Promise<Payload[]> {
  let decoded = payloads;
  for (const codec of [...(testDataConverter().payloadCodecs ?? [])].reverse()) decoded = await codec.decode(decoded);
  return decoded;
}
