import type { z } from 'zod';
import { formatPath, safeDetail } from './detail';
import { invalidReasonSchema, type InvalidReason } from './reasons';

// Range and format failures are named after the field they hit; type failures are always 'wrong_type'.
const FIELD_REASONS: ReadonlyMap<PropertyKey, InvalidReason> = new Map<PropertyKey, InvalidReason>([
  ['submission_id', 'invalid_uuid'],
  ['device_id', 'invalid_uuid'],
  ['time_created', 'invalid_time_created'],
  ['source_ip', 'invalid_ipv4'],
  ['destination_ip', 'invalid_ipv4'],
  ['destination_port', 'invalid_port'],
  ['cmdl', 'field_too_long'],
  ['user', 'field_too_long'],
]);

const FORMAT_REASONS: ReadonlyMap<string, InvalidReason> = new Map<string, InvalidReason>([
  ['guid', 'invalid_uuid'],
  ['ipv4', 'invalid_ipv4'],
  ['datetime', 'invalid_time_created'],
]);

function fieldReason(path: readonly PropertyKey[]): InvalidReason {
  return FIELD_REASONS.get(path[path.length - 1] ?? '') ?? 'wrong_type';
}

// The only object whose unknown keys are event types, not fields.
function isEventsObject(path: readonly PropertyKey[]): boolean {
  return path.length === 1 && path[0] === 'events';
}

// Maps one zod issue (parsed with `reportInput: true`, which is what tells a missing key from a null) to a reason.
export function reasonForIssue(issue: z.core.$ZodIssue): InvalidReason {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.path.length === 0) return 'not_an_object';
      if (issue.input === undefined) return 'missing_field';
      // 1.5 is a number of the right JSON type but not a port; "80" stays a type error.
      if (fieldReason(issue.path) === 'invalid_port' && typeof issue.input === 'number') return 'invalid_port';
      return 'wrong_type';
    case 'unrecognized_keys':
      return isEventsObject(issue.path) ? 'unknown_event_type' : 'unknown_field';
    case 'invalid_format':
      return FORMAT_REASONS.get(issue.format) ?? fieldReason(issue.path);
    case 'too_big':
    case 'too_small':
      return issue.origin === 'array' ? 'too_many_events' : fieldReason(issue.path);
    case 'custom': {
      const declared = invalidReasonSchema.safeParse(issue.params?.reason);
      return declared.success ? declared.data : 'wrong_type';
    }
    default:
      return 'wrong_type';
  }
}

// Path and zod's message only: the offending value itself is never quoted, it may be huge or hostile.
export function detailForIssue(issue: z.core.$ZodIssue): string {
  return safeDetail(`${formatPath(issue.path)}: ${issue.message}`);
}
