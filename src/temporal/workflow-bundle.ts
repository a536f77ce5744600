import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

/**
 * Where workers get their workflow code. Production runs the bundle `npm run build` wrote once (no webpack at start-up,
 * the same bytes on every worker of a release); development bundles the sources on start so edits apply at once.
 */
export const PREBUILT_BUNDLE_PATH = resolve(__dirname, '..', '..', 'workflow-bundle.js');
const WORKFLOWS_PATH = require.resolve('../../workflows');

export type WorkflowSource = { workflowBundle: { codePath: string } } | { workflowsPath: string };

export function workflowSource(nodeEnv = process.env.NODE_ENV): WorkflowSource {
  if (nodeEnv !== 'production') return { workflowsPath: WORKFLOWS_PATH };
  if (!existsSync(PREBUILT_BUNDLE_PATH)) {
    throw new Error(
      `NODE_ENV=production needs the prebuilt workflow bundle at ${PREBUILT_BUNDLE_PATH}: run npm run build ` +
        '(or unset NODE_ENV to bundle the sources at start-up)',
    );
  }
  return { workflowBundle: { codePath: PREBUILT_BUNDLE_PATH } };
}

/** Bundles the workflow sources in-process: the build script, tests and harness tools share this one helper. */
export function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
}

const ignore = (): void => undefined;
/** webpack's progress lines are noise in tests and builds; warnings and errors still surface. */
const quietBundlerLogger = {
  trace: ignore,
  debug: ignore,
  info: ignore,
  log: ignore,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};
