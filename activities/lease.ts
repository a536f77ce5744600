import { ChangeMessageVisibilityBatchCommand } from '@aws-sdk/client-sqs';
import { log } from '@temporalio/activity';
import type { ActivityDeps } from './deps';
import type { LeasedMessage } from './types';

/** SQS never keeps a message invisible for more than 12 hours in all, counted from its receive. */
export const SQS_MAX_VISIBILITY_MS = 12 * 3600 * 1000;
/** Asking past the cap makes SQS refuse the extension outright, so stay clear of it by this much. */
const CAP_MARGIN_MS = 60_000;

/**
 * The visibility timeout to ask for now: the configured one, shortened so the total stays under SQS's 12-hour cap
 * (SQS rejects a request past it instead of granting what is left). 0 means the cap is reached: stop extending and let
 * the message reappear, to be received again with a fresh 12 hours (same event ids, SPEC G3).
 */
export function extensionSeconds(requestedSeconds: number, receivedAtMs: number | undefined, nowMs: number): number {
  if (receivedAtMs === undefined) return requestedSeconds;
  const leftMs = receivedAtMs + SQS_MAX_VISIBILITY_MS - CAP_MARGIN_MS - nowMs;
  return Math.max(0, Math.min(requestedSeconds, Math.floor(leftMs / 1000)));
}

export interface Lease {
  /** Stops extending; the messages keep their last visibility deadline. */
  release(): void;
  extensions(): number;
}

/**
 * Keeps messages invisible while a long step works on them (SPEC G5): every third of the visibility timeout it asks
 * SQS for a fresh full timeout (less near SQS's 12-hour cap). If the worker dies, extensions stop and the messages
 * reappear within one timeout.
 * Failures are logged, not fatal: a lost lease only risks a redelivery, which yields the same event ids (G3).
 */
export function keepLease(
  deps: Pick<ActivityDeps, 'sqs' | 'queueUrl'>,
  messages: LeasedMessage[],
  visibilityTimeoutSeconds: number,
  now: () => number = Date.now,
): Lease {
  let extensions = 0;
  let inFlight = false;
  let capLogged = false;
  const extend = async (): Promise<void> => {
    if (inFlight) return;
    inFlight = true;
    try {
      const nowMs = now();
      const entries = messages.flatMap((m) => {
        const seconds = extensionSeconds(visibilityTimeoutSeconds, m.receivedAtMs, nowMs);
        return seconds > 0 ? [{ receiptHandle: m.receiptHandle, seconds }] : [];
      });
      if (entries.length < messages.length && !capLogged) {
        capLogged = true;
        log.warn('SQS 12-hour visibility cap reached; those messages will reappear and be received again', {
          messages: messages.length - entries.length,
        });
      }
      for (let start = 0; start < entries.length; start += 10) {
        const chunk = entries.slice(start, start + 10);
        const response = await deps.sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: deps.queueUrl,
            Entries: chunk.map((m, i) => ({
              Id: String(i),
              ReceiptHandle: m.receiptHandle,
              VisibilityTimeout: m.seconds,
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
