import { proxyActivities } from '@temporalio/workflow';
import type { PipelineActivities } from '../activities';
import { NON_RETRYABLE_FAILURE_TYPES } from './failure-types';

/**
 * Timeouts and retry policies of each pipeline step, written out because they are part of the product's guarantees:
 * publish and delete retry long enough to outlast a minute-long outage; receive and validate fail fast.
 */
const nonRetryableErrorTypes = [...NON_RETRYABLE_FAILURE_TYPES];

export const { receiveSubmissions } = proxyActivities<PipelineActivities>({
  // Long poll (≤ 20 s) plus a few follow-up requests.
  startToCloseTimeout: '60s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '20s',
    maximumAttempts: 5,
    nonRetryableErrorTypes,
  },
});

export const { validateAndTransform } = proxyActivities<PipelineActivities>({
  startToCloseTimeout: '30s',
  // Pure code: a failure here is a bug, not weather; a few attempts cover a worker crash.
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '10s',
    maximumAttempts: 3,
    nonRetryableErrorTypes,
  },
});

export const { publishEvents } = proxyActivities<PipelineActivities>({
  startToCloseTimeout: '5m',
  // Heartbeats carry the acknowledged prefix of each submission; a dead worker is noticed within this timeout.
  heartbeatTimeout: '45s',
  retry: {
    initialInterval: '2s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    maximumAttempts: 8,
    nonRetryableErrorTypes,
  },
});

export const { deleteMessages, dropInvalidSubmissions } = proxyActivities<PipelineActivities>({
  startToCloseTimeout: '2m',
  heartbeatTimeout: '45s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    maximumAttempts: 8,
    nonRetryableErrorTypes,
  },
});
