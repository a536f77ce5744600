import { readFileSync } from 'node:fs';
import { z } from 'zod';

// The manifest is the fleet's record of what it sent (JSON lines), and the verifier's only source of expectations.

/** Defects of a network event's address or port; the generator also applies them to one field of a valid document. */
export const ADDRESS_DEFECT_CLASSES = [
  'bad_destination_ip',
  'bad_ipv4_octet',
  'bad_ipv4_short',
  'ipv6_address',
  'empty_ip',
  'port_out_of_range',
  'port_negative',
  'port_fractional',
  'port_string',
] as const;

export const BROKEN_CLASSES = [
  'not_json',
  'truncated_json',
  'json_not_object',
  'missing_submission_id',
  'missing_device_id',
  'missing_time_created',
  'bad_submission_uuid',
  'bad_device_uuid',
  'null_cmdl',
  ...ADDRESS_DEFECT_CLASSES,
  'unknown_event_type',
  'events_wrong_shape',
  'one_bad_event_among_good',
  'wrong_type_user',
  'oversized_body',
] as const;
export const brokenClassSchema = z.enum(BROKEN_CLASSES);
export type BrokenClass = z.infer<typeof brokenClassSchema>;

export const encodingSchema = z.enum(['base64', 'json']);
export type Encoding = z.infer<typeof encodingSchema>;

export const partitionKeyFieldSchema = z.enum(['device_id', 'submission_id']);
export type PartitionKeyField = z.infer<typeof partitionKeyFieldSchema>;

/** An output event as docs/contract.md#output describes it, minus the backend-assigned `event_id` and `time_created`. */
export const expectedEventSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('new_process'), cmdl: z.string(), user: z.string(), device_id: z.string() }),
  z.strictObject({
    type: z.literal('network_connection'),
    source_ip: z.string(),
    destination_ip: z.string(),
    destination_port: z.int(),
    device_id: z.string(),
  }),
]);
export type ExpectedEvent = z.infer<typeof expectedEventSchema>;

const isoInstant = z.iso.datetime({ offset: true });

export const validEntrySchema = z.strictObject({
  kind: z.literal('submission'),
  status: z.literal('valid'),
  seq: z.int().nonnegative(),
  messageId: z.string().min(1),
  sentAt: isoInstant,
  encoding: encodingSchema,
  bodyBytes: z.int().nonnegative(),
  submissionId: z.string(),
  deviceId: z.string(),
  /** The partition key the product should use (default device_id, docs/contract.md#output). */
  partitionKey: z.string(),
  events: z.array(expectedEventSchema),
  eventIds: z.array(z.string()),
});
export type ValidEntry = z.infer<typeof validEntrySchema>;

export const brokenEntrySchema = z.strictObject({
  kind: z.literal('submission'),
  status: z.literal('broken'),
  seq: z.int().nonnegative(),
  messageId: z.string().min(1),
  sentAt: isoInstant,
  encoding: encodingSchema,
  bodyBytes: z.int().nonnegative(),
  brokenClass: brokenClassSchema,
  /** How many event-like entries the document holds: the verifier looks for leaked ids at indices below it. */
  eventCountHint: z.int().nonnegative(),
  deviceId: z.string().optional(),
});
export type BrokenEntry = z.infer<typeof brokenEntrySchema>;

/** A submission the queue refused: kept in the manifest so no failure is silently skipped, ignored by the judge. */
export const sendFailedEntrySchema = z.strictObject({
  kind: z.literal('send_failed'),
  seq: z.int().nonnegative(),
  status: z.enum(['valid', 'broken']),
  brokenClass: brokenClassSchema.optional(),
  code: z.string(),
  message: z.string(),
  /** False when the request itself failed: the message may or may not have been enqueued. */
  definite: z.boolean(),
});
export type SendFailedEntry = z.infer<typeof sendFailedEntrySchema>;

export const headerSchema = z.strictObject({
  kind: z.literal('header'),
  createdAt: isoInstant,
  queueUrl: z.string(),
  seed: z.int(),
  options: z.record(z.string(), z.unknown()),
});

export const submissionEntrySchema = z.discriminatedUnion('status', [validEntrySchema, brokenEntrySchema]);
export type SubmissionEntry = z.infer<typeof submissionEntrySchema>;

export const manifestLineSchema = z.union([submissionEntrySchema, sendFailedEntrySchema, headerSchema]);
export type ManifestLine = z.infer<typeof manifestLineSchema>;

/** Parses manifest text; returns the submissions that reached the queue (the ones the judge reasons about). */
export function parseManifest(text: string): { submissions: SubmissionEntry[]; sendFailed: SendFailedEntry[] } {
  const submissions: SubmissionEntry[] = [];
  const sendFailed: SendFailedEntry[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (err) {
      throw new Error(`manifest line ${i + 1}: not JSON (${String(err)})`);
    }
    const parsed = manifestLineSchema.safeParse(raw);
    if (!parsed.success) throw new Error(`manifest line ${i + 1}: ${z.prettifyError(parsed.error)}`);
    if (parsed.data.kind === 'submission') submissions.push(parsed.data);
    else if (parsed.data.kind === 'send_failed') sendFailed.push(parsed.data);
  });
  return { submissions, sendFailed };
}

export function readManifest(path: string): ReturnType<typeof parseManifest> {
  return parseManifest(readFileSync(path, 'utf8'));
}
