import { ApplicationFailure } from '@temporalio/common';
import type { SubmissionRecords } from '../src/publish/plan';
import { judgeBody } from './judge-submission';
import type { JudgedRecords } from './judged-records';
import type { PublishBodiesRequest, PublishInput, PublishRequest } from './types';

/**
 * Raised when a body the validate step accepted does not derive the records it counted. It cannot happen with the same
 * code and the same derivation; if it does, nothing of the batch is published (never partially-derived data) and
 * retrying cannot help: the stage fails, its messages stay in the queue and are judged again by a later run.
 */
export const RECORD_DERIVATION_MISMATCH = 'RecordDerivationMismatch';

/**
 * The records to publish: derived from the bodies with the judging step's derivation (the same domain code, settings
 * and processing time give the same records and event ids, so a retried publish sends the same data) unless this
 * worker's receive still holds the records it derived with it (`judged`), or taken as they are from an input scheduled
 * by older code, which carried them. Every submission is derived before any is published.
 */
export function recordsToPublish(input: PublishInput, judged?: JudgedRecords): PublishRequest {
  if (!('derivation' in input)) return input;
  return {
    submissions: input.submissions.map(
      (submission) => keptRecords(submission, input.derivation, judged) ?? deriveRecords(submission, input.derivation),
    ),
    ...(input.lease ? { lease: input.lease } : {}),
  };
}

/** The records this worker's receive derived with the same derivation, when it still holds them. */
function keptRecords(
  submission: PublishBodiesRequest['submissions'][number],
  derivation: PublishBodiesRequest['derivation'],
  judged: JudgedRecords | undefined,
): SubmissionRecords | undefined {
  const kept = judged?.take(submission.messageId, derivation);
  // A count other than the verdict's cannot come from the same judgement: derive again (and fail there if it persists).
  if (kept === undefined || kept.records.length !== submission.events) return undefined;
  return {
    messageId: submission.messageId,
    partitionKey: kept.partitionKey,
    records: kept.records,
    sentAtMs: submission.sentAtMs,
  };
}

function deriveRecords(
  submission: PublishBodiesRequest['submissions'][number],
  derivation: PublishBodiesRequest['derivation'],
): SubmissionRecords {
  const result = judgeBody(submission, derivation);
  // The message names the message and the reason code only: a detail may quote part of the body, and failure
  // messages are stored unencrypted (docs/confidentiality.md).
  if (!result.valid) {
    throw ApplicationFailure.nonRetryable(
      `message ${submission.messageId} was valid when validated but is ${result.reason} when publishing; nothing of this batch was published`,
      RECORD_DERIVATION_MISMATCH,
    );
  }
  if (result.records.length !== submission.events) {
    throw ApplicationFailure.nonRetryable(
      `message ${submission.messageId} derives ${result.records.length} events, validated as ${submission.events}; nothing of this batch was published`,
      RECORD_DERIVATION_MISMATCH,
    );
  }
  return {
    messageId: submission.messageId,
    partitionKey: result.partitionKey,
    records: result.records,
    sentAtMs: submission.sentAtMs,
  };
}
