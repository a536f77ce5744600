import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { bundleWorkflowCode, type Logger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

/**
 * Where workers get their workflow code. Production runs the bundle `npm run build` wrote once (no webpack at start-up,
 * the same bytes on every worker of a release); development bundles the sources on start so edits apply at once.
 */
export const PREBUILT_BUNDLE_PATH = resolve(__dirname, '..', '..', 'workflow-bundle.js');
const WORKFLOWS_PATH = require.resolve('../../workflows');

export type WorkflowSource = { workflowBundle: { codePath: string } } | { workflowBundle: { code: string } };

/**
 * Development bundles here, with `bundleWorkflowCode` and a quiet logger, rather than handing Worker.create a
 * `workflowsPath`: Worker.create would bundle with the Runtime's logger and print webpack's asset statistics at INFO
 * (`logger` receives the bundler's output at DEBUG instead; warnings and errors keep their level).
 */
export async function workflowSource(nodeEnv = process.env.NODE_ENV, logger?: Logger): Promise<WorkflowSource> {
  if (nodeEnv !== 'production') {
    const { code } = await bundleWorkflows(logger);
    return { workflowBundle: { code } };
  }
  if (!existsSync(PREBUILT_BUNDLE_PATH)) {
    throw new Error(
      `NODE_ENV=production needs the prebuilt workflow bundle at ${PREBUILT_BUNDLE_PATH}: run npm run build ` +
        '(or unset NODE_ENV to bundle the sources at start-up)',
    );
  }
  return { workflowBundle: { codePath: PREBUILT_BUNDLE_PATH } };
}

/**
 * Bundles the workflow sources in-process: the build script, tests, harness tools and the development worker share
 * this one helper. Without `logger`, webpack's progress lines are dropped; with it, they go to its DEBUG.
 */
export function bundleWorkflows(logger?: Logger): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: logger === undefined ? quietBundlerLogger : bundlerLoggerAtDebug(logger),
  });
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

/** The bundler's statistics and progress (INFO and below) at `logger`'s DEBUG; its warnings and errors as they are. */
export function bundlerLoggerAtDebug(logger: Logger): Logger {
  return {
    log: (level, message, meta) => void logger.log(level === 'INFO' ? 'DEBUG' : level, message, meta),
    trace: (message, meta) => void logger.trace(message, meta),
    debug: (message, meta) => void logger.debug(message, meta),
    info: (message, meta) => void logger.debug(message, meta),
    warn: (message, meta) => void logger.warn(message, meta),
    error: (message, meta) => void logger.error(message, meta),
  };
}
