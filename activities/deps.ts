import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { ValidationLimits } from '../src/domain/limits';
import type { JudgedRecords } from './judged-records';
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
  /**
   * Records derived by the receive step, kept for the publish step on the same worker (activities/judged-records.ts);
   * absent: createActivities makes one per worker.
   */
  judgedRecords?: JudgedRecords;
  /** In-activity retry pacing; injectable so unit tests run without real waiting. */
  retry?: Partial<InActivityRetry>;
}

/**
 * Worker option maxHeartbeatThrottleInterval for every worker that runs these activities. The SDK otherwise sends at
 * most one heartbeat per 0.8 × heartbeatTimeout (36 s for publish). A retried publishEvents resumes from the last
 * heartbeat the server recorded and then scans the stream from that heartbeat's time for what the lost attempt
 * published after it (activities/stream-resume.ts), so a stale heartbeat no longer means duplicates, only a longer scan:
 * 10 s keeps the scan short while a typical publish (a few seconds) still sends one heartbeat per attempt
 * (docs/reliability.md, "Duplicates per worker kill").
 */
export const HEARTBEAT_THROTTLE_INTERVAL = '10s';

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
