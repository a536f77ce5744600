import type { ValidationLimits } from '../domain/limits';
import type { InvalidReason } from '../domain/reasons';
import type { UnknownFieldPolicy } from '../domain/unknown-fields';
import type { PartitionKeyField } from '../domain/partition-key';

/**
 * Activity inputs and results: what travels through Temporal's history. Never a body or a field value (G8,
 * docs/contract.md): the worker that received a batch holds its bodies (activities/message-hold.ts) and history
 * carries the batch's reference, counts, reason codes and unknown-field paths.
 */

export interface ReceiveRequest {
  maxNumberOfMessages: number;
  /** ReceiveMessage requests at most; the batch stops growing at the first answer that is not full. */
  receives: number;
  visibilityTimeoutSeconds: number;
  /** Long-poll wait of the first request; the follow-up requests take what is there. */
  waitTimeSeconds: number;
  /**
   * After a first answer of fewer than maxNumberOfMessages: wait once, until the oldest message held was sent this
   * long ago, and ask again (0: do not).
   */
  gatherMs?: number;
}

/** A batch held by the worker that received it, for the steps that run on that worker's own task queue. */
export interface BatchRef {
  batchId: string;
  /** The receiving worker's own task queue: the batch's later steps run there, where its bodies are. */
  taskQueue: string;
}

export interface ReceivedBatch extends BatchRef {
  messages: number;
  /** Body bytes held for the batch on its worker. */
  bodyBytes: number;
  /** Messages received before (ApproximateReceiveCount > 1): their publish checks the stream first. */
  redelivered: number;
  /** The worker's hold was full for the whole wait: nothing received (not an empty queue). */
  holdFull?: boolean;
}

/** How a run turns submissions into records: the same on every worker (part of the run input). */
export interface ValidationSettings {
  partitionKey: PartitionKeyField;
  includeProvenance: boolean;
  unknownFields: UnknownFieldPolicy;
  /** The run's limits; absent: the worker's MAX_* environment. */
  limits?: ValidationLimits;
}

export interface ValidateRequest extends ValidationSettings {
  batchId: string;
}

export interface InvalidSample {
  messageId: string;
  reason: InvalidReason;
}

/** A batch validated: counts and reason codes only (details, which may quote a body, stay in the worker's log). */
export interface ValidatedBatch {
  valid: number;
  invalid: number;
  /** Events the valid submissions make. */
  events: number;
  invalidByReason: Partial<Record<InvalidReason, number>>;
  /** The first invalid messages of the batch (bounded), so an operator can find them in the worker's log. */
  invalidSamples: InvalidSample[];
  /** Valid submissions that carried unknown fields, and those per field path (bounded). */
  unknownFieldSubmissions: number;
  unknownFieldsByPath: Record<string, number>;
}

export interface BatchRequest {
  batchId: string;
}

export interface PublishResult {
  eventsPublished: number;
  submissions: number;
  putRecordsRequests: number;
  /** Entries that failed and were retried (throttling, internal failures, request errors). */
  retriedEntries: number;
  /** Events found already on the stream (a redelivered message, or an earlier attempt) and not sent again. */
  resumedEvents: number;
}

/** The batches one delete (or drop) step settles: at light load several of a lane's batches, all on one worker. */
export interface SettleRequest {
  batchIds: string[];
}

export interface DeleteResult {
  /** Batches this worker no longer held (let go, or a restarted worker): abandoned, their messages reappear. */
  notHeld: string[];
  deleted: number;
  retriedEntries: number;
  /**
   * Messages whose receipt handle SQS no longer accepts (its visibility expired and it was received again): they will
   * be processed again and produce the same event ids (G3, docs/contract.md).
   */
  staleReceipts: number;
}

export interface DropInvalidResult extends DeleteResult {
  /** Copied to the quarantine queue (0 when none is configured). */
  quarantined: number;
  /** Refused by the quarantine queue for good: left in the submissions queue (they reach the dead-letter queue). */
  notQuarantined: number;
}

export interface MessageReceipt {
  messageId: string;
  receiptHandle: string;
}

/** A message whose visibility its batch's lease keeps extending. */
export interface LeasedMessage extends MessageReceipt {
  /** Worker clock just before the ReceiveMessage that returned it: SQS's 12-hour visibility cap counts from there. */
  receivedAtMs?: number;
}
