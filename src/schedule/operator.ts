import { ScheduleNotFoundError } from '@temporalio/client';
import { OperatorError } from '../cli/shell';
import type { Config } from '../config/environment';

/** Turns "schedule not found" into what an operator should do about it; other errors pass through unchanged. */
export function explainScheduleError(
  err: unknown,
  config: Pick<Config, 'SCHEDULE_ID' | 'TEMPORAL_NAMESPACE' | 'TEMPORAL_ADDRESS'>,
): unknown {
  if (!(err instanceof ScheduleNotFoundError)) return err;
  return new OperatorError(
    `schedule "${config.SCHEDULE_ID}" not found in namespace "${config.TEMPORAL_NAMESPACE}" at ` +
      `${config.TEMPORAL_ADDRESS}: create it with npm run schedule -- apply, or set SCHEDULE_ID / TEMPORAL_NAMESPACE / ` +
      'TEMPORAL_ADDRESS to where it lives',
  );
}
