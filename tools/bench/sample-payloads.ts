import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type {
  PublishBodiesRequest,
  ReceivedBatch,
  ReceivedMessage,
  RecordDerivation,
  SubmissionToPublish,
} from '../../activities/types';
import { bodyForTransit, DEFAULT_VALIDATION_LIMITS, transformSubmission } from '../../src/domain';
import { generateSubmissions, type FleetOptions } from '../fleet/generate';

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
 * A receive result of `count` messages, bodies as the fleet sends them (mostly base64) and as the receive activity
 * carries them: base64 as its JSON text where exactly reversible (bodyForTransit), bodies over the size limit left out.
 */
export function sampleReceivedBatch(count = 100): ReceivedBatch {
  const messages: ReceivedMessage[] = generateSubmissions(FLEET, count).map((s, i) => {
    const bodyBytes = Buffer.byteLength(s.body, 'utf8');
    return {
      messageId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      receiptHandle: Buffer.from(`receipt-${i}-${s.seq}`).toString('base64').repeat(4),
      ...(bodyBytes > DEFAULT_VALIDATION_LIMITS.maxBodyBytes ? { body: null } : bodyForTransit(s.body)),
      bodyBytes,
      sentAtMs: FLEET.startTimeMs + i,
      receiveCount: 1,
    };
  });
  return { messages, releasedOverBudget: 0 };
}

const DERIVATION: RecordDerivation = {
  processedAt: new Date(FLEET.startTimeMs).toISOString(),
  partitionKey: 'device_id',
  includeProvenance: false,
  unknownFields: 'accept',
  limits: DEFAULT_VALIDATION_LIMITS,
};

/**
 * A publish input whose valid submissions hold at least `minEvents` events, judged by the product's own domain code:
 * bodies as the receive activity carries them and the batch's derivation (the records are derived in the activity).
 */
export function samplePublishRequest(minEvents = 1000): PublishBodiesRequest {
  const submissions: SubmissionToPublish[] = [];
  let events = 0;
  let seq = 0;
  while (events < minEvents) {
    for (const s of generateSubmissions({ ...FLEET, seed: FLEET.seed + seq++ }, 50)) {
      const messageId = `msg-${seq}-${s.seq}`;
      const result = transformSubmission(s.body, {
        messageId,
        processedAt: new Date(DERIVATION.processedAt),
        includeProvenance: DERIVATION.includeProvenance,
        partitionKeyField: DERIVATION.partitionKey,
      });
      if (!result.valid) continue;
      submissions.push({ messageId, ...bodyForTransit(s.body), events: result.records.length, sentAtMs: 0 });
      events += result.records.length;
      if (events >= minEvents) break;
    }
  }
  return { submissions, derivation: DERIVATION };
}

export function countEvents(request: PublishBodiesRequest): number {
  return request.submissions.reduce((n, s) => n + s.events, 0);
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
