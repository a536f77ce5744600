import { z } from 'zod';
import { reasonForIssue } from './issue-reason';
import { DEFAULT_VALIDATION_LIMITS, type ValidationLimits } from './limits';

// Long enough for any ISO 8601 date-time with nanoseconds and an offset; the bound keeps hostile
// "fractional seconds" of a hundred kilobytes out of logs and regexes.
export const TIME_CREATED_MAX_LENGTH = 64;

// Canonical 8-4-4-4-12 hex, any version and variant, any case: the original fleet's ids are random v4 but nothing in
// docs/contract.md#input promises a version, and rejecting a real sensor for its UUID variant bits would lose data.
const uuidString = () => z.guid();

// Dotted quad, each octet 0-255 without leading zeros (01.2.3.4 is ambiguous: octal in some parsers), no spaces.
const ipv4String = () => z.ipv4();

// The sensor's device-local time, as Python's isoformat() writes it: with or without a zone (Z or ±hh:mm), with
// optional fractional seconds of any precision. Date-only, space-separated and ±hhmm forms are rejected. The length
// is checked before the pattern, and a matching string must also be a date JavaScript can parse (defence in depth
// should a zod upgrade widen the pattern), since downstream tools will parse it.
const timeCreatedString = () =>
  z
    .string()
    .max(TIME_CREATED_MAX_LENGTH)
    .pipe(z.iso.datetime({ local: true, offset: true }))
    .refine((value) => Number.isFinite(Date.parse(value)), {
      error: 'not a parseable date-time',
      params: { reason: 'invalid_time_created' },
    });

// The limit counts UTF-16 code units (JavaScript's length), as documented. zod's own max() counts code points since
// 4.x, which lets a string of astral characters reach twice the documented length and would make the limit change
// with a dependency upgrade; this check says exactly what it measures.
const boundedField = (maxLength: number) =>
  z.string().refine((value) => value.length <= maxLength, {
    error: `longer than ${maxLength} characters (UTF-16 code units)`,
    params: { reason: 'field_too_long' },
  });

// Entries are strict: an unknown key either rejects the submission or was taken out and counted before the schema
// runs (the unknownFields policy, src/domain/unknown-fields.ts); nothing unknown is ever forwarded.
export function createNewProcessEntrySchema(limits: ValidationLimits) {
  return z.strictObject({
    cmdl: boundedField(limits.maxFieldLength),
    user: boundedField(limits.maxFieldLength),
  });
}

export const networkConnectionEntrySchema = z.strictObject({
  source_ip: ipv4String(),
  destination_ip: ipv4String(),
  destination_port: z.int().min(0).max(65535),
});

// The length check runs on the bare array before any entry is parsed, so a huge list is rejected for its size
// without validating (and reporting) thousands of entries first. Entries are then parsed one by one and the first bad
// one ends the list: otherwise a thousand broken entries would make zod build and format thousands of issues (about
// 25 ms of CPU per message) only for the first to be reported.
function boundedList<T extends z.ZodType>(entry: T, maxEvents: number) {
  return z
    .array(z.unknown())
    .max(maxEvents)
    .transform((list, ctx): z.output<T>[] => {
      const entries: z.output<T>[] = [];
      for (let index = 0; index < list.length; index++) {
        const parsed = entry.safeParse(list[index], { reportInput: true });
        if (!parsed.success) {
          const [first] = parsed.error.issues;
          // Re-raised as a custom issue carrying its reason, as zod's own issue types cannot be pushed back as is.
          if (first) {
            const issue = { ...first, path: [index, ...first.path] };
            ctx.issues.push({
              code: 'custom',
              message: issue.message,
              input: list[index],
              path: issue.path,
              params: { reason: reasonForIssue(issue) },
            });
          }
          return z.NEVER;
        }
        entries.push(parsed.data);
      }
      return entries;
    })
    .optional();
}

export function createEventsSchema(limits: ValidationLimits) {
  return z
    .strictObject({
      new_process: boundedList(createNewProcessEntrySchema(limits), limits.maxEventsPerSubmission),
      network_connection: boundedList(networkConnectionEntrySchema, limits.maxEventsPerSubmission),
    })
    .check((ctx) => {
      const total = (ctx.value.new_process?.length ?? 0) + (ctx.value.network_connection?.length ?? 0);
      if (total > limits.maxEventsPerSubmission) {
        ctx.issues.push({
          code: 'custom',
          message: `${total} events in total, over the limit of ${limits.maxEventsPerSubmission}`,
          input: ctx.value,
          params: { reason: 'too_many_events' },
        });
      }
    });
}

// docs/contract.md#input. `events` may be absent, and so may either list: a submission without events is valid and yields nothing.
export function createSubmissionSchema(limits: ValidationLimits) {
  return z.strictObject({
    submission_id: uuidString(),
    device_id: uuidString(),
    time_created: timeCreatedString(),
    events: createEventsSchema(limits).optional(),
  });
}

export const submissionSchema = createSubmissionSchema(DEFAULT_VALIDATION_LIMITS);

export type Submission = z.infer<typeof submissionSchema>;
export type NewProcessEntry = z.infer<ReturnType<typeof createNewProcessEntrySchema>>;
export type NetworkConnectionEntry = z.infer<typeof networkConnectionEntrySchema>;

// Building a schema per call would be wasteful on the hot path; limits objects are few and long-lived.
const schemaCache = new WeakMap<ValidationLimits, typeof submissionSchema>();
schemaCache.set(DEFAULT_VALIDATION_LIMITS, submissionSchema);

export function submissionSchemaFor(limits: ValidationLimits): typeof submissionSchema {
  const cached = schemaCache.get(limits);
  if (cached) return cached;
  const schema = createSubmissionSchema(limits);
  schemaCache.set(limits, schema);
  return schema;
}
