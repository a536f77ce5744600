import type { ScheduleDescription, ScheduleHandle, ScheduleUpdateOptions } from '@temporalio/client';
import { z } from 'zod';
import { drainInputSchema, type DrainInput, type DrainInputOverrides } from '../../workflows/drain-input';
import { durationToMs, formatDurationMs } from '../config/duration';
import { minimumVisibilityTimeoutSeconds } from '../worker/preflight';
import { OperatorError, parseCommandLine, stringFlag, UsageError, type CliOptions } from '../cli/shell';
import { runExecutionTimeoutSeconds } from '../../workflows/run-timeout';
import { parseFlagValue, RUN_INPUT_FLAGS } from './run-input-flags';

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

export const TUNING_FLAGS_HELP = [
  'Usage: npm run schedule -- update [flags]   (only the flags given change; nothing else is touched)',
  '  --interval 15s              schedule interval (spec), e.g. 15s, 5m, 1h30m',
  ...RUN_INPUT_FLAGS.map(
    (f) => `  ${`--${f.flag} ${f.kind === 'int' ? 'N' : 'V'}`.padEnd(28)}run input ${f.key} (${f.range})`,
  ),
  '  --dry-run                   print what would change, change nothing',
].join('\n');

/** Parses `schedule update` flags; throws UsageError with a readable message for anything wrong. */
export function parseTuningFlags(argv: string[]): { tuning: ScheduleTuning; dryRun: boolean } {
  const options: CliOptions = { interval: { type: 'string' }, 'dry-run': { type: 'boolean' } };
  for (const flag of RUN_INPUT_FLAGS) options[flag.flag] = { type: 'string' };
  const { values } = parseCommandLine(argv, options);
  const problems: string[] = [];
  const overrides: Partial<DrainInput> = {};
  for (const flag of RUN_INPUT_FLAGS) {
    const text = stringFlag(values, flag.flag);
    if (text === undefined) continue;
    const parsed = parseFlagValue(flag, text);
    if ('error' in parsed) problems.push(parsed.error);
    else Object.assign(overrides, { [flag.key]: parsed.value });
  }
  const interval = stringFlag(values, 'interval');
  let intervalMs: number | undefined;
  if (interval !== undefined) {
    intervalMs = durationToMs(interval);
    if (Number.isNaN(intervalMs)) problems.push('--interval must be a duration such as 15s, 5m or 1h30m');
    else if (intervalMs < 1000) problems.push('--interval must be at least 1s');
  }
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  if (intervalMs === undefined && givenKeys(overrides).length === 0) {
    throw new UsageError('nothing to change: give at least one flag');
  }
  const tuning: ScheduleTuning = { input: overrides, ...(intervalMs === undefined ? {} : { intervalMs }) };
  return { tuning, dryRun: values['dry-run'] === true };
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
        `between receive and delete without a lease extension (formula in src/worker/preflight.ts); ` +
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

  // The run timeout follows the run budget (G7 liveness, workflows/run-timeout.ts), so raising the budget never gets runs
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

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
}
