import { Context } from '@temporalio/activity';

/**
 * Heartbeats only while a step runs long: a step shorter than `afterMs` sends none (each heartbeat is a billed
 * Temporal action), a longer one one every `afterMs`, so a dead worker is noticed within the heartbeat timeout. The
 * returned stop() is called before the step returns: no heartbeat outlives its activity.
 */
export function keepAlive(afterMs: number): () => void {
  const ctx = Context.current();
  const timer = setInterval(() => ctx.heartbeat(), afterMs);
  return () => clearInterval(timer);
}

/** A third of the heartbeat timeout of the batch's steps (workflows/activity-proxies.ts). */
export const KEEP_ALIVE_MS = 10_000;
