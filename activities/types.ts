import type { BodyEncoding } from '../src/domain/decode-body';
import type { ValidationLimits } from '../src/domain/limits';
import type { InvalidReason } from '../src/domain/reasons';
import type { UnknownFieldPolicy } from '../src/domain/unknown-fields';
import type { PartitionKeyField } from '../src/domain/partition-key';
import type { SubmissionRecords } from '../src/publish/plan';

/** Activity inputs and outputs: plain JSON, because they travel through Temporal's history. */

export interface ReceiveRequest {
  maxNumberOfMessages: number;
  receives: number;
  visibilityTimeoutSeconds: number;
  waitTimeSeconds: number;
  /** Encoded payload bytes one batch may carry (the lane's share, see laneByteBudget in workflows/drain-input.ts). */
  byteBudget: number;
  /** How the run transforms, so each message is costed as it will travel (absent in older histories: defaults). */
  includeProvenance?: boolean;
  partitionKey?: PartitionKeyField;
  /** The largest message cost of the lane's previous batch: sizes the first request (0 or absent: ask for all). */
  expectedMessageBytes?: number;
  /** The run's validation limits (absent: the worker's), so every worker judges a body's size alike. */
  limits?: ValidationLimits;
  /**
   * Judge every message kept and return its verdict with the batch's derivation, so no separate validate step runs
   * (absent in receives scheduled by older code: messages only). The run's unknown-field policy comes with it.
   */
  verdicts?: boolean;
  unknownFields?: UnknownFieldPolicy;
}

/** Messages processed together, and the encoded payload bytes they add (see activities/payload-cost.ts). */
export interface MessageGroup {
  messages: ReceivedMessage[];
  payloadBytes: number;
}

export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  /** Null when the body is over the size limit: it is rejected without carrying it through history. */
  body: string | null;
  /**
   * `base64`: SQS delivered standard base64 of `body`, which travels as its JSON text (see bodyForTransit in
   * src/domain/decode-body.ts: exactly reversible); absent: `body` is exactly as delivered (and in older histories).
   */
  bodyEncoding?: BodyEncoding;
  /** Bytes of the body as SQS delivered it. */
  bodyBytes: number;
  /** SQS SentTimestamp (ms since epoch), for end-to-end lag. */
  sentAtMs: number | null;
  receiveCount: number;
  /** Worker clock just before the ReceiveMessage that returned it: SQS's 12-hour visibility cap counts from there. */
  receivedAtMs?: number;
  /** The receive step's judgement (ReceiveRequest.verdicts), made with its batch's derivation. */
  verdict?: MessageVerdict;
}

/** A message judged: a valid one's event count (its records are derived again when published), or why not. */
export type MessageVerdict =
  | {
      valid: true;
      events: number;
      /** Paths of unknown fields dropped under the `accept` policy (at most MAX_UNKNOWN_PATHS). */
      unknownFields?: string[];
    }
  | { valid: false; reason: InvalidReason; detail: string };

export interface ReceivedBatch {
  messages: ReceivedMessage[];
  /** Encoded payload bytes of `messages` (absent in older histories). */
  payloadBytes?: number;
  /** The largest cost of a message received in this batch, deferred ones included (the next request's hint). */
  largestMessageBytes?: number;
  /**
   * Messages received beyond the byte budget, made visible again at once (not lost, not counted as received): those
   * on their first receive, so no message is released twice, except past RECEIVE_RESULT_LIMIT_BYTES (see
   * activities/receive-submissions.ts).
   */
  releasedOverBudget: number;
  /**
   * Messages beyond the byte budget that had been received before: still held (never released again), grouped into
   * batches within the budget (a message over the budget alone), to be processed before the lane receives again.
   */
  deferred?: MessageGroup[];
  /** With verdicts (ReceiveRequest.verdicts): the settings and processing time every verdict of this receive used. */
  derivation?: RecordDerivation;
}

export interface TransformRequest {
  /** Bodies as received; those scheduled by older code carry no `bodyEncoding` (exactly as delivered). */
  messages: Pick<ReceivedMessage, 'messageId' | 'body' | 'bodyEncoding' | 'bodyBytes'>[];
  partitionKey: PartitionKeyField;
  includeProvenance: boolean;
  /** The run's policy; absent in activities scheduled before it existed: the default (accept and count). */
  unknownFields?: UnknownFieldPolicy;
  /** The run's limits; absent: the worker's MAX_* environment. */
  limits?: ValidationLimits;
}

/** Unknown fields dropped from a batch's valid submissions (accept policy). */
export interface UnknownFieldCounts {
  /** Valid submissions that carried at least one. */
  submissions: number;
  /** Submissions per field path (paths bounded, see src/domain/unknown-fields.ts). */
  byPath: Record<string, number>;
}

/**
 * A valid submission's verdict. Its records do not travel through history: the publish step derives them again from
 * the body with the batch's derivation (same domain code, same settings, same processing time: the same records).
 */
export interface ValidSubmission {
  messageId: string;
  /** Events the submission yields: the publish step checks that its derivation gives exactly these. */
  events: number;
}

/** Everything besides the body that decides a submission's records, as the validate step used it. */
export interface RecordDerivation {
  /** ISO 8601 (UTC): every record's time_created. */
  processedAt: string;
  partitionKey: PartitionKeyField;
  includeProvenance: boolean;
  unknownFields: UnknownFieldPolicy;
  limits: ValidationLimits;
}

export interface InvalidSubmission {
  messageId: string;
  reason: InvalidReason;
  detail: string;
}

export interface TransformedBatch {
  valid: ValidSubmission[];
  invalid: InvalidSubmission[];
  /** Absent when no valid submission carried an unknown field. */
  unknownFields?: UnknownFieldCounts;
  derivation: RecordDerivation;
}

/** A valid submission as the validate step of older code returned it: with its records (still in older histories). */
export interface ValidSubmissionWithRecords extends SubmissionRecords {
  submissionId: string;
  deviceId: string;
}

/** A validate result written by older code (replayed from history): records instead of verdicts, no derivation. */
export interface TransformedBatchWithRecords {
  valid: ValidSubmissionWithRecords[];
  invalid: InvalidSubmission[];
  unknownFields?: UnknownFieldCounts;
  derivation?: undefined;
}

/** A valid submission to publish: its body (as it travelled), from which the publish step derives its records. */
export interface SubmissionToPublish {
  messageId: string;
  body: string;
  bodyEncoding?: BodyEncoding;
  /** The validate step's event count: a derivation giving any other count fails the publish (never partial data). */
  events: number;
  /** SQS SentTimestamp of the message (ms), for the end-to-end lag metric. */
  sentAtMs: number | null;
}

/** The publish input: bodies and how to derive their records (see RecordDerivation). */
export interface PublishBodiesRequest {
  submissions: SubmissionToPublish[];
  derivation: RecordDerivation;
  lease?: PublishLease;
}

/** Messages to keep invisible while publishing (their visibility is extended every third of the timeout). */
export interface PublishLease {
  messages: LeasedMessage[];
  visibilityTimeoutSeconds: number;
}

/**
 * The records to publish, derived from a PublishBodiesRequest at the top of the activity; also the publish input
 * older code scheduled (records already in it), which the activity still accepts while such runs are open.
 */
export interface PublishRequest {
  submissions: SubmissionRecords[];
  lease?: PublishLease;
}

export type PublishInput = PublishBodiesRequest | PublishRequest;

export interface PublishResult {
  eventsPublished: number;
  submissions: number;
  putRecordsRequests: number;
  /** Entries that failed and were retried (throttling, internal failures, request errors). */
  retriedEntries: number;
  /** Events already acknowledged before this attempt (resumed from heartbeat details, not re-sent). */
  resumedEvents: number;
  /** Successful visibility extensions (message × extension) made while publishing. */
  leaseExtensions: number;
}

export interface MessageReceipt {
  messageId: string;
  receiptHandle: string;
}

/** A message whose visibility a step keeps extending; receivedAtMs is absent in histories from before it existed. */
export interface LeasedMessage extends MessageReceipt {
  receivedAtMs?: number;
}

export interface DeleteRequest {
  messages: MessageReceipt[];
}

export interface InvalidMessage extends MessageReceipt {
  reason: InvalidReason;
  detail: string;
  /** Null when the body was over the size limit and not carried through the workflow. */
  body: string | null;
  /** As in ReceivedMessage: the quarantine copy re-encodes a `base64` body to the original exactly. */
  bodyEncoding?: BodyEncoding;
  bodyBytes: number;
}

export interface DropInvalidRequest {
  messages: InvalidMessage[];
}

export interface DeleteResult {
  deleted: number;
  retriedEntries: number;
  /**
   * Messages whose receipt handle SQS no longer accepts (its visibility expired and it was received again): they will
   * be processed again and produce the same event ids (G3, docs/contract.md).
   */
  staleReceipts: string[];
}

export interface DropInvalidResult extends DeleteResult {
  /** Copied to the quarantine queue (0 when none is configured). */
  quarantined: number;
  /** Refused by the quarantine queue for good: left in the submissions queue (they reach the dead-letter queue). */
  notQuarantined: number;
}
