/** How a step retries failed entries inside one attempt, before Temporal retries the attempt. */
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
