import { chunkBySize } from '../aws/chunk-by-size';

/**
 * The publish plan that keeps G2 (docs/contract.md) (order per submission) with batched PutRecords.
 *
 * AWS: "PutRecords doesn't guarantee the ordering of records": when entry 2 of a request fails and entry 3 succeeds,
 * retrying entry 2 puts it after 3. So a request carries at most ONE not-yet-acknowledged record per submission:
 * record k+1 of a submission is sent only after record k was acknowledged (in an earlier request). Sequence numbers
 * on a shard grow with time, so acknowledged-before-sent means ordered on the stream, whatever fails in between.
 * Batching still comes from many submissions sharing each request.
 */

export interface SubmissionRecords {
  messageId: string;
  partitionKey: string;
  /** Serialized events, in the order they must reach the stream. */
  records: string[];
  /** SQS SentTimestamp of the message (ms), for the end-to-end lag metric. */
  sentAtMs?: number | null;
}

export interface PutEntry {
  messageId: string;
  /** Position of the record within its submission. */
  index: number;
  partitionKey: string;
  data: string;
}

/** messageId → number of leading records Kinesis has acknowledged. Persisted in heartbeats, so a retry resumes. */
export type AckProgress = Record<string, number>;

export interface PutRecordsLimits {
  maxEntriesPerRequest: number;
  maxBytesPerRequest: number;
}

// Kinesis PutRecords: at most 500 entries and 5 MiB (data plus partition keys) per request.
export const KINESIS_PUT_RECORDS_LIMITS: PutRecordsLimits = {
  maxEntriesPerRequest: 500,
  maxBytesPerRequest: 5 * 1024 * 1024,
};

export function entryBytes(entry: Pick<PutEntry, 'data' | 'partitionKey'>): number {
  return Buffer.byteLength(entry.data, 'utf8') + Buffer.byteLength(entry.partitionKey, 'utf8');
}

export function isComplete(submission: SubmissionRecords, progress: AckProgress): boolean {
  return (progress[submission.messageId] ?? 0) >= submission.records.length;
}

/**
 * The next round: each unfinished submission's first unacknowledged record, packed into as few requests as the
 * limits allow. Requests of one round may run concurrently: no two of them hold records of the same submission.
 */
export function planRound(
  submissions: readonly SubmissionRecords[],
  progress: AckProgress,
  limits: PutRecordsLimits = KINESIS_PUT_RECORDS_LIMITS,
): PutEntry[][] {
  const entries = submissions.flatMap((submission): PutEntry[] => {
    const index = progress[submission.messageId] ?? 0;
    const data = submission.records[index];
    return data === undefined
      ? []
      : [{ messageId: submission.messageId, index, partitionKey: submission.partitionKey, data }];
  });
  return chunkBySize(entries, entryBytes, limits.maxBytesPerRequest, limits.maxEntriesPerRequest);
}

/** One PutRecords result entry, as the SDK returns it (either a sequence number or an error code). */
export interface PutResultEntry {
  SequenceNumber?: string;
  ShardId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

export interface FailedEntry {
  entry: PutEntry;
  errorCode: string;
  errorMessage: string;
}

export interface RoundOutcome {
  acknowledged: number;
  failed: FailedEntry[];
}

/**
 * Applies one request's per-entry results to the progress. Success is decided entry by entry, never from
 * FailedRecordCount or the HTTP status: the original environment answered 200 with every entry failed and a wrong
 * count. An entry counts only with a sequence number and no error code; a missing result counts as failed.
 */
export function applyResults(
  progress: AckProgress,
  request: readonly PutEntry[],
  results: readonly PutResultEntry[] | undefined,
): RoundOutcome {
  const outcome: RoundOutcome = { acknowledged: 0, failed: [] };
  request.forEach((entry, i) => {
    const result = results?.[i];
    if (result && !result.ErrorCode && result.SequenceNumber) {
      // Only the record right after the acknowledged prefix may advance it (planRound never sends another).
      if ((progress[entry.messageId] ?? 0) === entry.index) {
        progress[entry.messageId] = entry.index + 1;
        outcome.acknowledged += 1;
      }
      return;
    }
    outcome.failed.push({
      entry,
      errorCode: result?.ErrorCode ?? 'MissingResult',
      errorMessage:
        result?.ErrorMessage ?? (result ? 'entry has no sequence number' : 'no result entry for this record'),
    });
  });
  return outcome;
}
