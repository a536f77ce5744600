import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { DEFAULT_VALIDATION_LIMITS } from '../../src/domain/limits';
import { renderSubmission } from '../../src/domain/render-submission';
import type { PlannedSubmission } from '../fleet/generate';
import type { SubmissionEntry } from '../fleet/manifest';
import { toManifestEntry } from '../fleet/send';
import { KINESIS_PUT_RECORDS_LIMITS } from '../../src/publish/plan';

export interface SinkLoad {
  /** Manifest entries under made-up message ids, so the verifier can judge the sink's stream too. */
  submissions: SubmissionEntry[];
  /** Every submission's records, in order. */
  records: { data: string; partitionKey: string }[][];
}

/** The exact records the product would publish for this load (same transform), prepared before timing starts. */
export function prepareSinkLoad(planned: readonly PlannedSubmission[]): SinkLoad {
  const sentAt = new Date().toISOString();
  const submissions: SubmissionEntry[] = [];
  const records: SinkLoad['records'] = [];
  for (const p of planned) {
    const messageId = `sink-${p.seq}`;
    const entry = toManifestEntry({ ok: true, planned: p, messageId, sentAt });
    if (entry.kind === 'submission') submissions.push(entry);
    const result = renderSubmission(p.body, {
      messageId,
      processedAt: new Date(),
      includeProvenance: false,
      partitionKeyField: 'device_id',
      limits: DEFAULT_VALIDATION_LIMITS,
    });
    if (result.valid) records.push(result.records.map((data) => ({ data, partitionKey: result.partitionKey })));
  }
  return { submissions, records };
}

/**
 * The sink ceiling: nothing but PutRecords, full requests (500 records), `concurrency` in flight. No ordering rule
 * across rounds is needed because nothing fails here; a request that does fail entries fails the run (no retries:
 * this is a ceiling, not a pipeline).
 */
export async function runSink(
  kinesis: KinesisClient,
  streamName: string,
  records: SinkLoad['records'],
  concurrency: number,
): Promise<{ putRecordsRequests: number }> {
  // Whole submissions per request: concurrent requests never split one submission, so its order holds.
  const chunks: { data: string; partitionKey: string }[][] = [];
  let current: { data: string; partitionKey: string }[] = [];
  for (const submission of records) {
    if (current.length + submission.length > KINESIS_PUT_RECORDS_LIMITS.maxEntriesPerRequest) {
      chunks.push(current);
      current = [];
    }
    current.push(...submission);
  }
  if (current.length > 0) chunks.push(current);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < chunks.length) {
      const chunk = chunks[next++];
      if (!chunk) return;
      const out = await kinesis.send(
        new PutRecordsCommand({
          StreamName: streamName,
          Records: chunk.map((r) => ({ Data: Buffer.from(r.data, 'utf8'), PartitionKey: r.partitionKey })),
        }),
      );
      const failed = (out.Records ?? []).filter((r) => r.ErrorCode || !r.SequenceNumber).length;
      if (failed > 0 || (out.Records ?? []).length !== chunk.length) {
        throw new Error(`sink: ${failed} of ${chunk.length} entries failed`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { putRecordsRequests: chunks.length };
}
