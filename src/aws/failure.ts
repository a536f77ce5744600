import { ApplicationFailure } from '@temporalio/common';
import { NON_RETRYABLE_FAILURE_TYPES } from '../contracts/failure-types';

interface AwsErrorShape {
  name?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

const nonRetryable: ReadonlySet<string> = new Set(NON_RETRYABLE_FAILURE_TYPES);

/** The AWS error name (e.g. `ProvisionedThroughputExceededException`), or a generic one for network errors. */
export function awsErrorName(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const name = (err as AwsErrorShape).name;
    if (typeof name === 'string' && name.length > 0) return name;
  }
  return 'UnknownError';
}

export function isNonRetryableAwsError(err: unknown): boolean {
  return nonRetryable.has(awsErrorName(err));
}

/**
 * Wraps an AWS SDK error as an ApplicationFailure whose type is the AWS error name, so the Temporal UI shows what
 * went wrong and the retry policy's nonRetryableErrorTypes can decide.
 */
export function toApplicationFailure(err: unknown, action: string): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const shape = (typeof err === 'object' && err !== null ? err : {}) as AwsErrorShape;
  const status = shape.$metadata?.httpStatusCode;
  const message = typeof shape.message === 'string' ? shape.message : String(err);
  return ApplicationFailure.create({
    type: awsErrorName(err),
    message: `${action} failed${typeof status === 'number' ? ` (HTTP ${status})` : ''}: ${message}`,
    nonRetryable: isNonRetryableAwsError(err),
    cause: err instanceof Error ? err : undefined,
  });
}
