import { ActivityFailure, ApplicationFailure, log, TimeoutFailure } from '@temporalio/workflow';
import { TimeoutType } from '@temporalio/common';
import { BATCH_NOT_HELD } from '../src/contracts/failure-types';
import { recordFailure, type RunTotals, type StepFailure } from './run-summary';

/** A step's answer when the batch's worker is gone (no poller on its queue) or no longer holds the batch. */
export const ABANDONED = Symbol('abandoned');

/**
 * Runs a step. ABANDONED: the batch's worker is gone (no poller on its queue) or no longer holds it. Undefined: the
 * step failed after its retry policy; the failure is recorded and the lane stops while the other lanes finish their
 * batches (a failed run must not abandon work in flight elsewhere).
 */
export async function runStep<T>(
  totals: RunTotals,
  name: StepFailure['step'],
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
    recordFailure(totals, { step: name, messages, error });
    log.error('step failed after retries; its messages stay in the queue', { step: name, messages, error });
    return undefined;
  }
}

function workerGone(err: ActivityFailure): boolean {
  const { cause } = err;
  if (cause instanceof TimeoutFailure) return cause.timeoutType === TimeoutType.SCHEDULE_TO_START;
  return cause instanceof ApplicationFailure && cause.type === BATCH_NOT_HELD;
}
