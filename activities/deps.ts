import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { ValidationLimits } from '../src/domain/limits';
import type { MessageHold } from './message-hold';
import type { PutRecordsBatcher } from '../src/publish/put-records-batcher';
import type { InActivityRetry } from '../src/aws/retry';

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
   * The worker's shared PutRecords batcher (src/publish/put-records-batcher.ts), created once per worker: publish
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
