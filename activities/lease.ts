import { ChangeMessageVisibilityBatchCommand } from '@aws-sdk/client-sqs';
import { log } from '@temporalio/activity';
import type { ActivityDeps } from './deps';
import type { MessageReceipt } from './types';

export interface Lease {
  /** Stops extending; the messages keep their last visibility deadline. */
  release(): void;
  extensions(): number;
}

/**
 * Keeps messages invisible while a long step works on them (SPEC G5): every third of the visibility timeout it asks
 * SQS for a fresh full timeout. If the worker dies, extensions stop and the messages reappear within one timeout.
 * Failures are logged, not fatal: a lost lease only risks a redelivery, which yields the same event ids (G3).
 */
export function keepLease(
  deps: Pick<ActivityDeps, 'sqs' | 'queueUrl'>,
  messages: MessageReceipt[],
  visibilityTimeoutSeconds: number,
): Lease {
  let extensions = 0;
  let inFlight = false;
  const extend = async (): Promise<void> => {
    if (inFlight) return;
    inFlight = true;
    try {
      for (let start = 0; start < messages.length; start += 10) {
        const chunk = messages.slice(start, start + 10);
        const response = await deps.sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: deps.queueUrl,
            Entries: chunk.map((m, i) => ({
              Id: String(i),
              ReceiptHandle: m.receiptHandle,
              VisibilityTimeout: visibilityTimeoutSeconds,
            })),
          }),
        );
        extensions += response.Successful?.length ?? 0;
        if (response.Failed?.length) {
          log.warn('could not extend the visibility of some messages', { failed: response.Failed.map((f) => f.Code) });
        }
      }
    } catch (err) {
      log.warn('visibility extension failed; will try again', { error: String(err) });
    } finally {
      inFlight = false;
    }
  };
  const timer = setInterval(() => void extend(), Math.max(1, visibilityTimeoutSeconds / 3) * 1000);
  return {
    release: () => clearInterval(timer),
    extensions: () => extensions,
  };
}
