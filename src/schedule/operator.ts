import { ScheduleNotFoundError } from '@temporalio/client';
import type { Config } from '../config';

/** An error whose message tells the operator what to do; scripts print the message without a stack trace. */
export class OperatorError extends Error {
  override name = 'OperatorError';
}

/** What a schedule script prints for an error: the message of an OperatorError, everything else in full. */
export function forOperator(err: unknown): unknown {
  return err instanceof OperatorError ? err.message : err;
}

/** Turns "schedule not found" into what an operator should do about it; other errors pass through unchanged. */
export function explainScheduleError(
  err: unknown,
  config: Pick<Config, 'SCHEDULE_ID' | 'TEMPORAL_NAMESPACE' | 'TEMPORAL_ADDRESS'>,
): unknown {
  if (!(err instanceof ScheduleNotFoundError)) return err;
  return new OperatorError(
    `schedule "${config.SCHEDULE_ID}" not found in namespace "${config.TEMPORAL_NAMESPACE}" at ` +
      `${config.TEMPORAL_ADDRESS}: create it with npm run schedule:apply, or set SCHEDULE_ID / TEMPORAL_NAMESPACE / ` +
      'TEMPORAL_ADDRESS to where it lives',
  );
}
