import { MockActivityEnvironment, TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { bundleWorkflows } from '../../src/workflow-bundle';

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
  });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Bundling the workflows takes seconds; every worker of a test file shares one bundle. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflows();
  return bundle;
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
