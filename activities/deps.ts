import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { ValidationLimits } from '../src/domain/limits';
import type { MessageHold } from './message-hold';
import type { PutRecordsBatcher } from './put-records-batcher';

/** What the activities close over; tests pass emulator-backed clients or fakes. */
export interface ActivityDeps {
  sqs: SQSClient;
  kinesis: KinesisClient;
  queueUrl: string;
  streamName: string;
  limits: ValidationLimits;
  /** Optional: invalid submissions are copied here (body + reason) before they are deleted. */
  quarantineQueueUrl?: string;
  /** Backend processing time (docs/contract.md#output time_created); injectable for tests. */
  now?: () => Date;
  /**
   * The worker's shared PutRecords batcher (activities/put-records-batcher.ts), created once per worker: publish
   * activities running side by side then share requests. Absent: each activity sends its own requests.
   */
  putRecordsBatcher?: PutRecordsBatcher;
  /** The bodies of the batches this worker received (activities/message-hold.ts): one per worker process. */
  hold: MessageHold;
  /**
   * This worker's own task queue, where the steps of the batches it holds run. Absent: the queue the receive ran on
   * (a worker polling a single queue, as in tests).
   */
  ownTaskQueue?: string;
  /** In-activity retry pacing; injectable so unit tests run without real waiting. */
  retry?: Partial<InActivityRetry>;
}

export interface InActivityRetry {
  /** Rounds in a row without any acknowledged entry before the attempt gives up and Temporal retries it. */
  maxRoundsWithoutProgress: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_IN_ACTIVITY_RETRY: InActivityRetry = {
  maxRoundsWithoutProgress: 8,
  initialBackoffMs: 100,
  maxBackoffMs: 5_000,
};

/** Exponential backoff with full jitter (AWS architecture blog): spreads retries of many lanes apart. */
export function backoffMs(retry: InActivityRetry, failuresInARow: number): number {
  const ceiling = Math.min(retry.maxBackoffMs, retry.initialBackoffMs * 2 ** Math.max(0, failuresInARow - 1));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}
