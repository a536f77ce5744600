import { readFileSync } from 'node:fs';
import { LoggerWithComposedMetadata, SdkComponent } from '@temporalio/common';
import type { LogLevel, Logger } from '@temporalio/worker';
import { createJsonLogger } from '../../../src/worker/json-logger';
import { expectedStartupMessages, ownTaskQueueName } from '../../../src/worker/pipeline-workers';
import { bundlerLoggerAtDebug, workflowSource } from '../../../src/temporal/workflow-bundle';

// "quiet defaults": npm start prints what an operator needs. The SDK's start-up notes about what the worker does not
// poll, by design, go to DEBUG (exactly those, nothing else), and webpack's statistics of the development bundle too.

const SHARED = 'telemetry-preprocessor';
const NEXUS = 'No Nexus services registered, not polling for Nexus tasks';
const NO_WORKFLOWS = 'No workflows registered, not polling for workflow tasks';

interface Line {
  level: string;
  message: string;
  taskQueue?: string;
}

/** The worker's JSON logger at `level`, and the lines it wrote. */
function capture(level: LogLevel, withExpectations = true): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const logger = createJsonLogger(level, withExpectations ? expectedStartupMessages(SHARED) : [], (line) => {
    lines.push(JSON.parse(line) as Line);
  });
  return { logger, lines };
}

/** A logger as Worker.create makes it from the Runtime's (node_modules/@temporalio/worker/lib/worker.js). */
const sdkWorkerLogger = (runtimeLogger: Logger, taskQueue: string): Logger =>
  LoggerWithComposedMetadata.compose(runtimeLogger, { sdkComponent: SdkComponent.worker, taskQueue });

/** The start-up notes as the SDK logs them for the two workers of src/worker/pipeline-workers.ts. */
function logWorkerStartup(runtimeLogger: Logger, ownQueue: string): void {
  const shared = sdkWorkerLogger(runtimeLogger, SHARED);
  const own = sdkWorkerLogger(runtimeLogger, ownQueue);
  shared.info(NEXUS);
  own.warn(NO_WORKFLOWS);
  own.info(NEXUS);
}

describe('quiet worker start-up', () => {
  it('logs the SDK notes about Nexus and the own queue without workflows at DEBUG, not at INFO or WARN', () => {
    const info = capture('INFO');
    logWorkerStartup(info.logger, ownTaskQueueName(SHARED));
    expect(info.lines).toEqual([]);

    const ownQueue = ownTaskQueueName(SHARED);
    const debug = capture('DEBUG');
    logWorkerStartup(debug.logger, ownQueue);
    expect(debug.lines.map(({ level, message, taskQueue }) => ({ level, message, taskQueue }))).toEqual([
      { level: 'DEBUG', message: NEXUS, taskQueue: SHARED },
      { level: 'DEBUG', message: NO_WORKFLOWS, taskQueue: ownQueue },
      { level: 'DEBUG', message: NEXUS, taskQueue: ownQueue },
    ]);
  });

  it('prints the same notes at INFO and WARN without the filter (the control: what npm start printed before)', () => {
    const { logger, lines } = capture('INFO', false);
    logWorkerStartup(logger, ownTaskQueueName(SHARED));
    expect(lines.map((l) => `${l.level} ${l.message}`)).toEqual([
      `INFO ${NEXUS}`,
      `WARN ${NO_WORKFLOWS}`,
      `INFO ${NEXUS}`,
    ]);
  });

  it('hides nothing else: other queues, components, levels and messages keep their level', () => {
    const { logger, lines } = capture('INFO');
    // The shared queue must run the workflows: a worker there without them is a misconfiguration worth a WARN.
    sdkWorkerLogger(logger, SHARED).warn(NO_WORKFLOWS);
    // Another process's own queue, another deployment's queue: not this process's two workers.
    sdkWorkerLogger(logger, `${SHARED}/other-host-1-0123abcd`).warn(NO_WORKFLOWS);
    sdkWorkerLogger(logger, 'another-queue').info(NEXUS);
    // The same text from elsewhere than the SDK's worker, or without its metadata.
    LoggerWithComposedMetadata.compose(logger, { sdkComponent: SdkComponent.activity, taskQueue: SHARED }).info(NEXUS);
    logger.info(NEXUS);
    logger.warn(NO_WORKFLOWS, { taskQueue: ownTaskQueueName(SHARED) });
    // The same text at another level, a near-identical text, and the SDK's other start-up lines.
    sdkWorkerLogger(logger, SHARED).error(NEXUS);
    sdkWorkerLogger(logger, ownTaskQueueName(SHARED)).warn('No activities registered, not polling for activity tasks');
    sdkWorkerLogger(logger, SHARED).info(`${NEXUS}.`);
    sdkWorkerLogger(logger, SHARED).info('Worker state changed', { state: 'RUNNING' });
    expect(lines.map((l) => `${l.level} ${l.message}`)).toEqual([
      `WARN ${NO_WORKFLOWS}`,
      `WARN ${NO_WORKFLOWS}`,
      `INFO ${NEXUS}`,
      `INFO ${NEXUS}`,
      `INFO ${NEXUS}`,
      `WARN ${NO_WORKFLOWS}`,
      `ERROR ${NEXUS}`,
      'WARN No activities registered, not polling for activity tasks',
      `INFO ${NEXUS}.`,
      'INFO Worker state changed',
    ]);
  });

  it('matches the texts and levels the pinned SDK logs (an SDK upgrade that rewords them fails here)', () => {
    const source = readFileSync(require.resolve('@temporalio/worker/lib/worker.js'), 'utf8');
    for (const { level, message } of expectedStartupMessages(SHARED)) {
      expect(source).toContain(`this.logger.${level.toLowerCase()}('${message}')`);
    }
    expect(source).toContain('sdkComponent: common_1.SdkComponent.worker,\n            taskQueue: options.taskQueue');
  });
});

describe('development workflow bundle', () => {
  it("sends the bundler's INFO to DEBUG and keeps its warnings and errors", () => {
    const { logger, lines } = capture('DEBUG', false);
    const bundler = bundlerLoggerAtDebug(logger);
    bundler.info('assets by path *.js 1.2 MiB');
    bundler.log('INFO', 'Workflow bundle created');
    bundler.warn('a webpack warning');
    bundler.error('a webpack error');
    bundler.trace('progress');
    expect(lines.map((l) => `${l.level} ${l.message}`)).toEqual([
      'DEBUG assets by path *.js 1.2 MiB',
      'DEBUG Workflow bundle created',
      'WARN a webpack warning',
      'ERROR a webpack error',
    ]);
  });

  it('bundles the sources itself (workflowBundle.code, no workflowsPath for Worker.create) and logs nothing at INFO', async () => {
    const { logger, lines } = capture('DEBUG', false);
    const source = await workflowSource('development', logger);
    expect(Object.keys(source)).toEqual(['workflowBundle']);
    expect(source.workflowBundle).toEqual({ code: expect.stringContaining('drainQueue') as unknown });
    expect(lines.filter((l) => l.level !== 'DEBUG')).toEqual([]);
    // webpack's asset statistics are still there for whoever runs at DEBUG.
    expect(lines.some((l) => l.message.includes('Workflow bundle created'))).toBe(true);
  }, 120_000);
});
