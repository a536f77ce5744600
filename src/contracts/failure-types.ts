/**
 * Failure types that retrying cannot fix: a missing queue or stream, bad credentials, a request the service rejects as
 * malformed. Activities raise ApplicationFailures of these types; workflow retry policies list them as non-retryable,
 * so the run fails at once with the reason instead of retrying for minutes. Decided here, in one place.
 */
export const NON_RETRYABLE_FAILURE_TYPES = [
  'QueueDoesNotExist',
  'AWS.SimpleQueueService.NonExistentQueue',
  'ResourceNotFoundException',
  'AccessDenied',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'MissingAuthenticationToken',
  'InvalidArgumentException',
  'ValidationException',
  'KMSAccessDeniedException',
  'KMSNotFoundException',
  'KMSDisabledException',
  'InvalidActivityInput',
] as const;

/** Raised by publishEvents when a whole round of retries made no progress; retryable, resumes from heartbeats. */
export const PUBLISH_STALLED = 'PublishStalled';
/** Raised by deleteMessages when entries still fail after its in-activity retries; retryable. */
export const DELETE_INCOMPLETE = 'DeleteIncomplete';
/** Raised by dropInvalidSubmissions when copies to the quarantine queue still fail after retries; retryable. */
export const QUARANTINE_INCOMPLETE = 'QuarantineIncomplete';
/**
 * Raised by a batch's step when its worker no longer holds the batch (let go unused, or a restarted worker): the
 * lane abandons the batch, whose messages reappear in the queue (G5) and are processed again with the same ids (G3).
 */
export const BATCH_NOT_HELD = 'BatchNotHeld';
