import { metricMeter } from '@temporalio/activity';
import type { MetricCounter } from '@temporalio/common';

/**
 * The pipeline's own metrics. They go through the activity's metric meter, so the worker's Prometheus endpoint
 * exports them next to the SDK's metrics, tagged with namespace, task queue and activity type.
 */
export interface PipelineMetrics {
  received(count: number): void;
  valid(count: number): void;
  invalid(reason: string): void;
  /** One submission accepted with an unknown field at `path` (the field dropped, not forwarded). */
  unknownField(path: string): void;
  published(count: number): void;
  putRecordsRequests(count: number): void;
  publishRetriedEntries(count: number, errorCode: string): void;
  deleted(count: number): void;
  deleteFailedEntries(count: number, code: string): void;
  staleReceipts(count: number): void;
  /** Events a retried publish found already on the stream (sent by the lost attempt) and did not send again. */
  resumedFromStream(count: number): void;
  /** SQS send → Kinesis acknowledgement of a submission's last event. */
  endToEndLagMs(ms: number): void;
}

/**
 * Field paths label a metric, and a sensor (or an attacker) chooses them: each worker process labels at most this many
 * distinct paths and counts the rest as `other`, so the series stay few whatever arrives.
 */
export const MAX_UNKNOWN_FIELD_LABELS = 32;
const unknownFieldLabels = new Set<string>();

export function unknownFieldLabel(path: string): string {
  if (unknownFieldLabels.has(path)) return path;
  if (unknownFieldLabels.size >= MAX_UNKNOWN_FIELD_LABELS) return 'other';
  unknownFieldLabels.add(path);
  return path;
}

function counter(name: string, description: string): MetricCounter {
  return metricMeter.createCounter(name, '1', description);
}

/** Created per activity invocation: the meter carries that activity's tags. */
export function pipelineMetrics(): PipelineMetrics {
  const add = (name: string, description: string) => (count: number, tags?: Record<string, string>) => {
    if (count > 0) counter(name, description).add(count, tags);
  };
  const lag = metricMeter.createHistogram(
    'edr_end_to_end_lag_ms',
    'int',
    'ms',
    'Time from SQS send to the Kinesis acknowledgement of the submission’s last event',
  );
  return {
    received: add('edr_submissions_received', 'Messages received from SQS'),
    valid: add('edr_submissions_valid', 'Submissions that passed validation'),
    invalid: (reason) => counter('edr_submissions_invalid', 'Submissions dropped as invalid').add(1, { reason }),
    unknownField: (path) =>
      counter('edr_unknown_fields', 'Valid submissions carrying an unknown field (dropped, not forwarded)').add(1, {
        path: unknownFieldLabel(path),
      }),
    published: add('edr_events_published', 'Events acknowledged by Kinesis'),
    putRecordsRequests: add('edr_put_records_requests', 'PutRecords requests sent'),
    publishRetriedEntries: (count, errorCode) =>
      add('edr_publish_retried_entries', 'PutRecords entries that failed and were retried')(count, {
        error_code: errorCode,
      }),
    deleted: add('edr_messages_deleted', 'Messages deleted from SQS'),
    deleteFailedEntries: (count, code) =>
      add('edr_delete_failed_entries', 'DeleteMessageBatch entries that failed and were retried')(count, { code }),
    staleReceipts: add('edr_stale_receipts', 'Messages whose receipt handle expired before deletion (redelivered)'),
    resumedFromStream: add(
      'edr_publish_resumed_from_stream',
      'Events a retried publish found already on the stream and did not send again',
    ),
    endToEndLagMs: (ms) => lag.record(Math.max(0, Math.round(ms))),
  };
}
