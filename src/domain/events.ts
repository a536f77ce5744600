import { z } from 'zod';
import { eventIdFor } from './event-id';
import type { Submission } from './submission';

// docs/contract.md#output: the contract with downstream consumers. Strict, so a test that parses our own output proves we emit
// exactly these fields and nothing more.
const commonFields = {
  event_id: z.uuid(),
  device_id: z.guid(),
  // Backend processing time, always UTC with 'Z' (Date#toISOString).
  time_created: z.iso.datetime(),
  // Provenance, present only when the includeProvenance option is on: which submission the event came from and its
  // position in that submission's output order, so a consumer can regroup and order events without the queue.
  submission_id: z.guid().optional(),
  event_index: z.int().min(0).optional(),
};

export const newProcessEventSchema = z.strictObject({
  cmdl: z.string(),
  user: z.string(),
  type: z.literal('new_process'),
  ...commonFields,
});

export const networkConnectionEventSchema = z.strictObject({
  source_ip: z.ipv4(),
  destination_ip: z.ipv4(),
  destination_port: z.int().min(0).max(65535),
  type: z.literal('network_connection'),
  ...commonFields,
});

export const telemetryEventSchema = z.discriminatedUnion('type', [newProcessEventSchema, networkConnectionEventSchema]);

export type NewProcessEvent = z.infer<typeof newProcessEventSchema>;
export type NetworkConnectionEvent = z.infer<typeof networkConnectionEventSchema>;
export type TelemetryEvent = z.infer<typeof telemetryEventSchema>;

export interface RenderContext {
  // The SQS message id: the identity that survives redelivery, hence the seed of stable event ids.
  messageId: string;
  processedAt: Date;
  includeProvenance: boolean;
}

// docs/contract.md#output order: every new_process entry, then every network_connection entry, each in array order, whatever order
// the two keys had in the JSON text (we never iterate the events object). The event index is the position in this
// order, which makes event ids stable as long as the message is the same.
export function toEvents(submission: Submission, ctx: RenderContext): TelemetryEvent[] {
  const timeCreated = ctx.processedAt.toISOString();
  const common = (eventIndex: number) => ({
    event_id: eventIdFor(ctx.messageId, eventIndex),
    device_id: submission.device_id,
    time_created: timeCreated,
    ...(ctx.includeProvenance ? { submission_id: submission.submission_id, event_index: eventIndex } : {}),
  });

  const events: TelemetryEvent[] = [];
  for (const { cmdl, user } of submission.events?.new_process ?? []) {
    events.push({ cmdl, user, type: 'new_process', ...common(events.length) });
  }
  for (const { source_ip, destination_ip, destination_port } of submission.events?.network_connection ?? []) {
    events.push({ source_ip, destination_ip, destination_port, type: 'network_connection', ...common(events.length) });
  }
  return events;
}
