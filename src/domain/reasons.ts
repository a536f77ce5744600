import { z } from 'zod';

// Every way a submission can be rejected, as stable codes: they label metrics, logs, search attributes and the
// quarantine copy, so renaming one is a breaking change for dashboards and alerts.
export const INVALID_REASONS = [
  'body_too_large',
  'undecodable_body',
  'invalid_json',
  'too_deeply_nested',
  'not_an_object',
  'missing_field',
  'unknown_field',
  'wrong_type',
  'invalid_uuid',
  'invalid_time_created',
  'invalid_ipv4',
  'invalid_port',
  'unknown_event_type',
  'too_many_events',
  'field_too_long',
  'record_too_large',
] as const;

export type InvalidReason = (typeof INVALID_REASONS)[number];

export const invalidReasonSchema = z.enum(INVALID_REASONS);

// One line per code, for operators (docs/configuration.md, Temporal UI, metric help text).
export const INVALID_REASON_DESCRIPTIONS: Readonly<Record<InvalidReason, string>> = {
  body_too_large: 'the raw message body is larger than maxBodyBytes (checked before any decoding)',
  undecodable_body: 'the body is neither JSON text nor standard base64 of UTF-8 text (or is not a string at all)',
  invalid_json: 'the (decoded) text is not valid JSON, or repeats a key within one object (I-JSON, RFC 7493)',
  too_deeply_nested: 'the JSON nests objects/arrays deeper than maxNestingDepth',
  not_an_object: 'the JSON value is not an object (array, string, number, boolean or null)',
  missing_field: 'a required field is absent',
  unknown_field:
    'an object has a key the schema does not define (including __proto__ and constructor), under the reject policy',
  wrong_type: 'a field has the wrong JSON type (e.g. cmdl: null, destination_port: "80")',
  invalid_uuid: 'submission_id or device_id is not a canonical 8-4-4-4-12 hex UUID',
  invalid_time_created: 'time_created is not an ISO 8601 date-time (local or with Z/offset)',
  invalid_ipv4: 'source_ip or destination_ip is not a dotted-quad IPv4 address without leading zeros',
  invalid_port: 'destination_port is a number but not an integer in 0..65535',
  unknown_event_type: 'events has a key other than new_process and network_connection',
  too_many_events: 'the submission holds more than maxEventsPerSubmission events',
  field_too_long: 'cmdl or user is longer than maxFieldLength characters',
  record_too_large: 'an event record plus its partition key exceeds maxRecordBytes (Kinesis limit)',
};

// The shape every rejection takes, so a validation and a rendering compose without mapping.
export interface InvalidSubmission {
  valid: false;
  reason: InvalidReason;
  detail: string;
}

export function invalidSubmission(reason: InvalidReason, detail: string): InvalidSubmission {
  return { valid: false, reason, detail };
}
