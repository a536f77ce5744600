import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { PipelineActivities } from '../activities';
import { NON_RETRYABLE_FAILURE_TYPES } from '../src/contracts/failure-types';

/**
 * Timeouts and retry policies of each pipeline step, written out because they are part of the product's guarantees
 * (workflows/run-timeout.ts adds them up): publish and delete retry long enough to outlast a minute-long outage;
 * receive and validate fail fast.
 */
const nonRetryableErrorTypes = [...NON_RETRYABLE_FAILURE_TYPES];

/** The receive runs on the shared task queue: any worker may take a batch. */
export const { receiveSubmissions } = proxyActivities<PipelineActivities>({
  // Long poll (≤ 20 s) plus follow-up requests; the receive stops asking 10 s before this.
  startToCloseTimeout: '60s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '20s',
    maximumAttempts: 5,
    nonRetryableErrorTypes,
  },
});

/**
 * A worker that took a batch is gone when its own queue has no poller for this long: the batch is abandoned, and
 * its messages reappear in the queue once their lease stops (G5).
 */
export const BATCH_STEP_SCHEDULE_TO_START = '30s';
/** A step on a dead worker is noticed within this (the steps heartbeat every 10 s while they run long). */
const BATCH_STEP_HEARTBEAT_TIMEOUT = '30s';

/** The steps of one batch, on the task queue of the worker that holds its bodies. */
export function batchSteps(taskQueue: string) {
  const onHoldingWorker: ActivityOptions = { taskQueue, scheduleToStartTimeout: BATCH_STEP_SCHEDULE_TO_START };
  const { validateSubmissions } = proxyActivities<PipelineActivities>({
    ...onHoldingWorker,
    // Pure code over bodies in memory: a failure here is a bug, not weather.
    startToCloseTimeout: '60s',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '10s',
      maximumAttempts: 3,
      nonRetryableErrorTypes,
    },
  });
  const { publishEvents } = proxyActivities<PipelineActivities>({
    ...onHoldingWorker,
    startToCloseTimeout: '5m',
    heartbeatTimeout: BATCH_STEP_HEARTBEAT_TIMEOUT,
    retry: {
      initialInterval: '2s',
      backoffCoefficient: 2,
      maximumInterval: '30s',
      maximumAttempts: 8,
      nonRetryableErrorTypes,
    },
  });
  const { deleteMessages, dropInvalidSubmissions } = proxyActivities<PipelineActivities>({
    ...onHoldingWorker,
    startToCloseTimeout: '2m',
    heartbeatTimeout: BATCH_STEP_HEARTBEAT_TIMEOUT,
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '30s',
      maximumAttempts: 8,
      nonRetryableErrorTypes,
    },
  });
  return { validateSubmissions, publishEvents, deleteMessages, dropInvalidSubmissions };
}

export type BatchSteps = ReturnType<typeof batchSteps>;
