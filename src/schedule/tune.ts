import { parseArgs } from 'node:util';
import type { ScheduleDescription, ScheduleHandle, ScheduleUpdateOptions } from '@temporalio/client';
import { z } from 'zod';
import { drainInputSchema, type DrainInputOverrides } from '../drain-input';
import { PARTITION_KEY_FIELDS } from '../domain/partition-key';
import { DURATION_PATTERN, durationToMs } from '../duration';
import { minimumVisibilityTimeoutSeconds } from '../preflight';
import { runExecutionTimeoutSeconds } from '../run-timeout';
import { OperatorError } from './operator';

/**
 * What an operator asked `npm run schedule:update` to change. Absent keys stay as they are on the schedule: the
 * interval lives in the schedule's spec, everything else in the run input (the workflow action's one argument).
 */
export interface ScheduleTuning {
  intervalMs?: number;
  input: DrainInputOverrides;
}

export interface TuningChange {
  /** `interval` or `input.<key>`. */
  field: string;
  /** The effective value before (a run input key the schedule did not set shows its default). */
  from: unknown;
  to: unknown;
}

/** A refused tuning: the message says what to do; no stack trace needed. */
export class ScheduleTuningError extends OperatorError {
  override name = 'ScheduleTuningError';
}

const int = (flag: string) =>
  z
    .string()
    .regex(/^\d+$/, { error: `--${flag} must be a whole number` })
    .transform(Number);

const bool = (flag: string) =>
  z.enum(['true', 'false'], { error: `--${flag} must be true or false` }).transform((v) => v === 'true');

/** One flag per run-input key (names as operators say them); each value is re-checked by drainInputSchema. */
const flagsSchema = z
  .object({
    interval: z
      .string()
      .regex(DURATION_PATTERN, { error: '--interval must be a duration such as 15s, 5m or 1h30m' })
      .refine((v) => durationToMs(v) >= 1000, { error: '--interval must be at least 1s' })
      .optional(),
    'max-messages': int('max-messages').optional(),
    'visibility-timeout': int('visibility-timeout').optional(),
    lanes: int('lanes').optional(),
    'receives-per-batch': int('receives-per-batch').optional(),
    'receive-wait': int('receive-wait').optional(),
    'batch-byte-budget': int('batch-byte-budget').optional(),
    'run-budget': int('run-budget').optional(),
    'partition-key': z
      .enum(PARTITION_KEY_FIELDS, { error: `--partition-key must be one of ${PARTITION_KEY_FIELDS.join(', ')}` })
      .optional(),
    'include-provenance': bool('include-provenance').optional(),
    'search-attributes': bool('search-attributes').optional(),
    'dry-run': z.boolean().optional(),
  })
  .strict();

export const TUNING_FLAGS_HELP = `Usage: npm run schedule:update -- [flags]   (only the flags given change; nothing else is touched)
  --interval 15s              schedule interval (spec), e.g. 15s, 5m, 1h30m
  --max-messages N            run input maxNumberOfMessages (1–10)
  --visibility-timeout S      run input visibilityTimeoutSeconds (10–43200)
  --lanes N                   run input lanes (1–64)
  --receives-per-batch N      run input receivesPerBatch (1–50)
  --receive-wait S            run input receiveWaitSeconds (0–20)
  --batch-byte-budget B       run input batchByteBudget (65536–1500000)
  --run-budget S              run input runBudgetSeconds (5–86400)
  --partition-key K           run input partitionKey (${PARTITION_KEY_FIELDS.join(' | ')})
  --include-provenance B      run input includeProvenance (true | false)
  --search-attributes B       run input searchAttributes (true | false)
  --dry-run                   print what would change, change nothing`;

/** Parses `schedule:update` flags; throws ScheduleTuningError with a readable message for anything wrong. */
export function parseTuningFlags(argv: string[]): { tuning: ScheduleTuning; dryRun: boolean } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        interval: { type: 'string' },
        'max-messages': { type: 'string' },
        'visibility-timeout': { type: 'string' },
        lanes: { type: 'string' },
        'receives-per-batch': { type: 'string' },
        'receive-wait': { type: 'string' },
        'batch-byte-budget': { type: 'string' },
        'run-budget': { type: 'string' },
        'partition-key': { type: 'string' },
        'include-provenance': { type: 'string' },
        'search-attributes': { type: 'string' },
        'dry-run': { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new ScheduleTuningError(`${err instanceof Error ? err.message : String(err)}\n${TUNING_FLAGS_HELP}`);
  }
  const parsed = flagsSchema.safeParse(values);
  if (!parsed.success) {
    throw new ScheduleTuningError(`${parsed.error.issues.map((i) => i.message).join('\n')}\n${TUNING_FLAGS_HELP}`);
  }
  const flags = parsed.data;
  const input: DrainInputOverrides = {
    maxNumberOfMessages: flags['max-messages'],
    visibilityTimeoutSeconds: flags['visibility-timeout'],
    lanes: flags.lanes,
    receivesPerBatch: flags['receives-per-batch'],
    receiveWaitSeconds: flags['receive-wait'],
    batchByteBudget: flags['batch-byte-budget'],
    runBudgetSeconds: flags['run-budget'],
    partitionKey: flags['partition-key'],
    includeProvenance: flags['include-provenance'],
    searchAttributes: flags['search-attributes'],
  };
  const tuning: ScheduleTuning = {
    input,
    ...(flags.interval === undefined ? {} : { intervalMs: durationToMs(flags.interval) }),
  };
  if (tuning.intervalMs === undefined && givenKeys(input).length === 0) {
    throw new ScheduleTuningError(`nothing to change: give at least one flag\n${TUNING_FLAGS_HELP}`);
  }
  return { tuning, dryRun: flags['dry-run'] ?? false };
}

/** The run-input keys a tuning sets (an absent flag leaves its key undefined). */
function givenKeys(input: DrainInputOverrides) {
  return drainInputSchema.keyof().options.filter((key) => input[key] !== undefined);
}

const runInputObject = z.record(z.string(), z.unknown());

/** Run-input keys the visibility-timeout rule depends on. */
const LEASE_KEYS: ReadonlySet<string> = new Set([
  'visibilityTimeoutSeconds',
  'receivesPerBatch',
  'maxNumberOfMessages',
]);

/**
 * Pure: the schedule as it should be after the tuning, and what changed. The run input is merged key by key into
 * the schedule's existing argument (keys the operator never set stay unset, so they keep following the code's
 * defaults), and the result must pass drainInputSchema — the same check every run makes — before anything is written.
 */
export function mergeTuning(
  prev: ScheduleDescription,
  tuning: ScheduleTuning,
): { next: ScheduleUpdateOptions; changes: TuningChange[] } {
  if (prev.action.type !== 'startWorkflow') {
    throw new ScheduleTuningError(`schedule "${prev.scheduleId}" does not start a workflow; not ours to tune`);
  }
  const args: readonly unknown[] = prev.action.args ?? [];
  const rawInput = args[0];
  const existing = runInputObject.safeParse(rawInput ?? {});
  if (!existing.success) {
    throw new ScheduleTuningError(
      `schedule "${prev.scheduleId}" has a run input that is not a JSON object (${JSON.stringify(rawInput)}); ` +
        'set a complete one with temporal schedule update --input (see docs/operations.md)',
    );
  }
  const before = drainInputSchema.safeParse(existing.data);
  if (!before.success) {
    throw new ScheduleTuningError(
      `the schedule's current run input is invalid (${describeIssues(before.error)}); ` +
        'fix it with temporal schedule update --input (see docs/operations.md)',
    );
  }
  const mergedRaw: Record<string, unknown> = { ...existing.data };
  const given = givenKeys(tuning.input);
  for (const key of given) mergedRaw[key] = tuning.input[key];
  const after = drainInputSchema.safeParse(mergedRaw);
  if (!after.success) {
    throw new ScheduleTuningError(`the tuned run input would be invalid: ${describeIssues(after.error)}`);
  }
  const minimum = minimumVisibilityTimeoutSeconds(after.data);
  const touchesLease = given.some((k) => LEASE_KEYS.has(k));
  // Checked only when this tuning touches it, so a schedule tuned by hand can still get e.g. a new interval.
  if (touchesLease && after.data.visibilityTimeoutSeconds < minimum) {
    throw new ScheduleTuningError(
      `visibilityTimeoutSeconds ${after.data.visibilityTimeoutSeconds} is too short for batches of ` +
        `${after.data.receivesPerBatch} × ${after.data.maxNumberOfMessages} messages: they need ${minimum} s or more ` +
        `between receive and delete without a lease extension (formula in src/preflight.ts); ` +
        `use --visibility-timeout ${minimum} or fewer messages per batch`,
    );
  }

  const changes: TuningChange[] = [];
  const intervals = prev.spec.intervals ?? [];
  const currentEvery = intervals.length === 1 ? intervals[0]?.every : undefined;
  let spec = prev.spec;
  if (tuning.intervalMs !== undefined && tuning.intervalMs !== currentEvery) {
    changes.push({
      field: 'interval',
      from: intervals.map((i) => formatDurationMs(i.every)).join(', ') || 'none',
      to: formatDurationMs(tuning.intervalMs),
    });
    // Calendars, cron expressions, jitter and time zone are left as they are; only the interval is replaced.
    spec = { ...prev.spec, intervals: [{ every: tuning.intervalMs, offset: 0 }] };
  }
  for (const key of given) {
    if (before.data[key] !== after.data[key]) {
      changes.push({ field: `input.${key}`, from: before.data[key], to: after.data[key] });
    }
  }

  // The run timeout follows the run budget (G7 liveness, src/run-timeout.ts), so raising the budget never gets runs
  // timed out while they drain.
  const timeoutMs = runExecutionTimeoutSeconds(after.data.runBudgetSeconds) * 1000;
  if (prev.action.workflowExecutionTimeout !== timeoutMs) {
    changes.push({
      field: 'workflowExecutionTimeout',
      from: prev.action.workflowExecutionTimeout ?? 'none',
      to: timeoutMs,
    });
  }

  const next: ScheduleUpdateOptions = {
    ...prev,
    spec,
    action: { ...prev.action, args: [mergedRaw, ...args.slice(1)], workflowExecutionTimeout: timeoutMs },
  };
  return { next, changes };
}

/**
 * Applies a tuning with `handle.update`, which replaces the schedule with what the callback returns: everything the
 * callback does not change (note, pause state, policies, summaries) is carried over from the current description.
 * Returns the changes; when there are none, nothing is written.
 */
export async function updateSchedule(
  handle: ScheduleHandle,
  tuning: ScheduleTuning,
  options: { dryRun?: boolean } = {},
): Promise<TuningChange[]> {
  const planned = mergeTuning(await handle.describe(), tuning).changes;
  if (planned.length === 0 || options.dryRun) return planned;
  let applied: TuningChange[] = planned;
  await handle.update((prev) => {
    const { next, changes } = mergeTuning(prev, tuning);
    applied = changes;
    return next;
  });
  return applied;
}

export function describeChanges(scheduleId: string, changes: TuningChange[], dryRun = false): string {
  if (changes.length === 0) return `schedule "${scheduleId}": already tuned like that; nothing changed`;
  const lines = changes.map((c) => `  ${c.field}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`);
  const verb = dryRun ? 'would change (dry run, nothing written)' : 'updated; takes effect on the next run';
  return `schedule "${scheduleId}" ${verb}:\n${lines.join('\n')}`;
}

/** 90000 → "1m30s": the form the CLI and SCHEDULE_INTERVAL use. */
export function formatDurationMs(ms: number): string {
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const text = `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
  return text || '0s';
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
}
