import { ChangeMessageVisibilityBatchCommand } from '@aws-sdk/client-sqs';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { SQS_BATCH_LIMIT } from './batch';
import type { LeasedMessage } from '../contracts/batch-steps';

/** SQS never keeps a message invisible for more than 12 hours in all, counted from its receive. */
export const SQS_MAX_VISIBILITY_MS = 12 * 3600 * 1000;
/** Asking past the cap makes SQS refuse the extension outright, so stay clear of it by this much. */
const CAP_MARGIN_MS = 60_000;

/**
 * The visibility timeout to ask for now: the configured one, shortened so the total stays under SQS's 12-hour cap
 * (SQS rejects a request past it instead of granting what is left). 0 means the cap is reached: stop extending and let
 * the message reappear, to be received again with a fresh 12 hours (same event ids, G3 (docs/contract.md)).
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
 * When the first extension is due: a third of the timeout after the earliest receive (a batch may have spent much of
 * its visibility in receive and validate), at once when that is past; a message without a receive time counts as now.
 */
export function firstExtensionDelayMs(messages: readonly LeasedMessage[], periodMs: number, nowMs: number): number {
  const earliest = messages.reduce((min, m) => Math.min(min, m.receivedAtMs ?? nowMs), nowMs);
  return Math.max(0, earliest + periodMs - nowMs);
}

interface Extension {
  receiptHandle: string;
  seconds: number;
}

/**
 * Keeps messages invisible while their batch is held (G5, docs/contract.md): a third of the visibility timeout after their
 * receive, and every third of the timeout after that, it asks SQS for a fresh full timeout (less near SQS's 12-hour
 * cap). If the worker dies, extensions stop and the messages reappear within one timeout.
 * Each request of a tick stands alone: one failing does not keep the others' messages from being extended.
 * Failures are logged, not fatal: a lost lease only risks a redelivery, which yields the same event ids (G3).
 */
export interface LeaseDeps {
  sqs: SQSClient;
  queueUrl: string;
  /** Where failed extensions are reported: the worker's logger in the service. */
  log: LeaseLog;
}

export interface LeaseLog {
  warn(message: string, attributes?: Record<string, unknown>): void;
}

/** `leased`: the messages leased now, read at every extension (a batch's deleted messages leave its lease). */
export function keepLease(
  deps: LeaseDeps,
  leased: () => readonly LeasedMessage[],
  visibilityTimeoutSeconds: number,
  now: () => number = Date.now,
): Lease {
  const periodMs = Math.max(1, visibilityTimeoutSeconds / 3) * 1000;
  let extensions = 0;
  let inFlight = false;
  let capLogged = false;
  let released = false;
  let timer: NodeJS.Timeout | undefined;

  const extendChunk = async (chunk: Extension[]): Promise<void> => {
    try {
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
        deps.log.warn('could not extend the visibility of some messages', {
          failed: response.Failed.map((f) => f.Code),
        });
      }
    } catch (err) {
      deps.log.warn('visibility extension failed; will try again', { error: String(err), messages: chunk.length });
    }
  };
  const extend = async (): Promise<void> => {
    if (inFlight) return;
    inFlight = true;
    try {
      const nowMs = now();
      const current = leased();
      const entries = current.flatMap((m) => {
        const seconds = extensionSeconds(visibilityTimeoutSeconds, m.receivedAtMs, nowMs);
        return seconds > 0 ? [{ receiptHandle: m.receiptHandle, seconds }] : [];
      });
      if (entries.length < current.length && !capLogged) {
        capLogged = true;
        deps.log.warn('SQS 12-hour visibility cap reached; those messages will reappear and be received again', {
          messages: current.length - entries.length,
        });
      }
      for (let start = 0; start < entries.length; start += SQS_BATCH_LIMIT) {
        await extendChunk(entries.slice(start, start + SQS_BATCH_LIMIT));
      }
    } finally {
      inFlight = false;
    }
  };
  const schedule = (delayMs: number): void => {
    timer = setTimeout(() => {
      if (released) return;
      void extend();
      schedule(periodMs);
    }, delayMs);
  };
  schedule(firstExtensionDelayMs(leased(), periodMs, now()));
  return {
    release: () => {
      released = true;
      clearTimeout(timer);
    },
    extensions: () => extensions,
  };
}
