import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { PublishRequest, ReceivedBatch, ReceivedMessage } from '../../activities/types';
import { DEFAULT_VALIDATION_LIMITS, transformSubmission } from '../../src/domain';
import { generateSubmissions, type FleetOptions } from '../fleet/generate';
import type { SubmissionRecords } from '../../src/publish/plan';

/**
 * Realistic Temporal payloads built from the fleet simulator's submissions, for the codec benchmark and tests:
 * the two largest payloads a run writes to history (a receive result and a publish input).
 */
const FLEET: FleetOptions = {
  seed: 12,
  devices: 10,
  brokenShare: 0.096,
  eventsMin: 3,
  eventsMax: 5,
  plainJsonShare: 0.1,
  startTimeMs: Date.UTC(2026, 0, 1),
};

/**
 * A receive result of `count` messages, bodies as the fleet sends them (mostly base64); like the receive activity,
 * it leaves out bodies over the size limit.
 */
export function sampleReceivedBatch(count = 100): ReceivedBatch {
  const messages: ReceivedMessage[] = generateSubmissions(FLEET, count).map((s, i) => {
    const bodyBytes = Buffer.byteLength(s.body, 'utf8');
    return {
      messageId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      receiptHandle: Buffer.from(`receipt-${i}-${s.seq}`).toString('base64').repeat(4),
      body: bodyBytes > DEFAULT_VALIDATION_LIMITS.maxBodyBytes ? null : s.body,
      bodyBytes,
      sentAtMs: FLEET.startTimeMs + i,
      receiveCount: 1,
    };
  });
  return { messages, releasedOverBudget: 0 };
}

/** A publish input holding at least `minEvents` event records, transformed by the product's own domain code. */
export function samplePublishRequest(minEvents = 1000): PublishRequest {
  const submissions: SubmissionRecords[] = [];
  let events = 0;
  let seq = 0;
  while (events < minEvents) {
    for (const s of generateSubmissions({ ...FLEET, seed: FLEET.seed + seq++ }, 50)) {
      const messageId = `msg-${seq}-${s.seq}`;
      const result = transformSubmission(s.body, {
        messageId,
        processedAt: new Date(FLEET.startTimeMs),
        includeProvenance: false,
        partitionKeyField: 'device_id',
      });
      if (!result.valid) continue;
      submissions.push({ messageId, partitionKey: result.partitionKey, records: result.records, sentAtMs: 0 });
      events += result.records.length;
      if (events >= minEvents) break;
    }
  }
  return { submissions };
}

export function countEvents(request: PublishRequest): number {
  return request.submissions.reduce((n, s) => n + s.records.length, 0);
}

/** The payload the SDK's default converter writes for a value (JSON, `json/plain`). */
export function toPayload(value: unknown): Payload {
  return defaultPayloadConverter.toPayload(value);
}

/** Bytes a payload takes on the wire, close enough to the protobuf size for comparisons: data plus metadata. */
export function payloadBytes(payload: Payload): number {
  let bytes = payload.data?.length ?? 0;
  for (const [name, value] of Object.entries(payload.metadata ?? {})) bytes += name.length + (value?.length ?? 0);
  return bytes;
}
