import { z } from 'zod';

/**
 * What a submission with a field the schema does not define (a newer sensor adding one) gets:
 * - `accept` (default): the field is never forwarded (the output stays exactly docs/contract.md#output), the submission is valid and
 *   the field is counted (metric by path, run summary, a sample in the logs). A sensor upgrade then costs no telemetry.
 * - `reject`: the whole submission is invalid (`unknown_field`), for those who want the input contract enforced.
 * Unknown event types (a key of `events` other than the two lists) are rejected under both: a new kind of event is a
 * new output contract, not a field to drop.
 */
export const UNKNOWN_FIELD_POLICIES = ['accept', 'reject'] as const;
export type UnknownFieldPolicy = (typeof UNKNOWN_FIELD_POLICIES)[number];
export const unknownFieldPolicySchema = z.enum(UNKNOWN_FIELD_POLICIES);
export const DEFAULT_UNKNOWN_FIELD_POLICY: UnknownFieldPolicy = 'accept';

const ROOT_FIELDS: ReadonlySet<string> = new Set(['submission_id', 'device_id', 'time_created', 'events']);
const ENTRY_FIELDS: Readonly<Record<string, ReadonlySet<string>>> = {
  new_process: new Set(['cmdl', 'user']),
  network_connection: new Set(['source_ip', 'destination_ip', 'destination_port']),
};

// A key that is not a plain identifier (hostile text, a huge key) is reported as <unusual>: paths label metrics and
// logs, so they must stay short and safe.
const PLAIN_KEY = /^[A-Za-z0-9_]{1,40}$/;
export const UNUSUAL_KEY = '<unusual>';
/** At most this many distinct paths per submission; a body with thousands of unknown keys reports the first ones. */
export const MAX_UNKNOWN_PATHS = 16;

const label = (key: string): string => (PLAIN_KEY.test(key) ? key : UNUSUAL_KEY);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface SplitSubmission {
  /** The parsed document with every unknown field removed (the unknown event types are left for the schema). */
  known: unknown;
  /** The distinct paths removed, entries folded together (`events.new_process[].pid`), at most MAX_UNKNOWN_PATHS. */
  unknownPaths: string[];
}

/**
 * Separates unknown fields from a parsed submission before the (strict) schema sees it, so one schema serves both
 * policies. Only objects that hold an unknown field are copied; anything of the wrong shape is left for the schema to
 * reject with its own reason.
 */
export function splitUnknownFields(json: unknown): SplitSubmission {
  const paths = new Set<string>();
  const add = (path: string): void => {
    if (paths.size < MAX_UNKNOWN_PATHS) paths.add(path);
  };
  if (!isRecord(json)) return { known: json, unknownPaths: [] };
  const root = onlyKnown(json, ROOT_FIELDS, (key) => add(label(key)));
  const events = root.events;
  if (isRecord(events)) {
    let eventsCopy: Record<string, unknown> | undefined;
    for (const [list, fields] of Object.entries(ENTRY_FIELDS)) {
      const entries = events[list];
      if (!Array.isArray(entries)) continue;
      let changed = false;
      const cleaned = entries.map((entry: unknown) => {
        if (!isRecord(entry)) return entry;
        const kept = onlyKnown(entry, fields, (key) => add(`events.${list}[].${label(key)}`));
        if (kept !== entry) changed = true;
        return kept;
      });
      if (changed) {
        eventsCopy ??= { ...events };
        eventsCopy[list] = cleaned;
      }
    }
    if (eventsCopy) return { known: { ...root, events: eventsCopy }, unknownPaths: [...paths] };
  }
  return { known: root, unknownPaths: [...paths] };
}

/** The object itself when every key is known, else a copy with the known keys only (never a __proto__ key). */
function onlyKnown(
  value: Record<string, unknown>,
  known: ReadonlySet<string>,
  onUnknown: (key: string) => void,
): Record<string, unknown> {
  const keys = Object.keys(value);
  const unknown = keys.filter((key) => !known.has(key));
  if (unknown.length === 0) return value;
  unknown.forEach(onUnknown);
  return Object.fromEntries(keys.filter((key) => known.has(key)).map((key) => [key, value[key]]));
}
