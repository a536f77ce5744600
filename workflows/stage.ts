import { ActivityFailure, ApplicationFailure, log, TimeoutFailure } from '@temporalio/workflow';
import { TimeoutType } from '@temporalio/common';
import { BATCH_NOT_HELD } from '../src/contracts/failure-types';
import { recordFailure, type RunTotals, type StageFailure } from './run-summary';

/** A stage's answer when the batch's worker is gone (no poller on its queue) or no longer holds the batch. */
export const ABANDONED = Symbol('abandoned');

/**
 * Runs a stage. ABANDONED: the batch's worker is gone (no poller on its queue) or no longer holds it. Undefined: the
 * stage failed after its retry policy; the failure is recorded and the lane stops while the other lanes finish their
 * batches (a failed run must not abandon work in flight elsewhere).
 */
export async function stage<T>(
  totals: RunTotals,
  name: StageFailure['stage'],
  messages: number,
  run: () => Promise<T>,
): Promise<T | typeof ABANDONED | undefined> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    if (workerGone(err)) return ABANDONED;
    const error =
      err.cause instanceof ApplicationFailure ? `${err.cause.type ?? 'Error'}: ${err.cause.message}` : err.message;
    recordFailure(totals, { stage: name, messages, error });
    log.error('stage failed after retries; its messages stay in the queue', { stage: name, messages, error });
    return undefined;
  }
}

function workerGone(err: ActivityFailure): boolean {
  const { cause } = err;
  if (cause instanceof TimeoutFailure) return cause.timeoutType === TimeoutType.SCHEDULE_TO_START;
  return cause instanceof ApplicationFailure && cause.type === BATCH_NOT_HELD;
}
