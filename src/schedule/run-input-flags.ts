import { z } from 'zod';
import { drainInputSchema, type DrainInput, type DrainInputOverrides } from '../../workflows/drain-input';

/**
 * One command-line flag per scalar run-input key, derived from drainInputSchema so the flags, their ranges in the
 * help text and their checks can never drift from what a run accepts. Keys that are not numbers, booleans or enums
 * (none today) are set with `temporal schedule update --input` (docs/operations.md).
 */
export type RunInputKey = keyof DrainInput;

export interface RunInputFlag {
  key: RunInputKey;
  flag: string;
  kind: 'int' | 'bool' | 'enum';
  /** e.g. "1–10", "true | false", "device_id | submission_id". */
  range: string;
  defaultValue: unknown;
}

/** Shorter names where operators say it differently from the key; the rest are the key in kebab-case. */
const FLAG_NAMES: Partial<Record<RunInputKey, string>> = {
  maxNumberOfMessages: 'max-messages',
  visibilityTimeoutSeconds: 'visibility-timeout',
  receiveWaitSeconds: 'receive-wait',
  runBudgetSeconds: 'run-budget',
};

const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function describeFlag(key: RunInputKey, field: z.ZodType): RunInputFlag | undefined {
  const defaultValue = field instanceof z.ZodDefault ? field.def.defaultValue : undefined;
  const inner = field instanceof z.ZodDefault ? field.unwrap() : field;
  const flag = FLAG_NAMES[key] ?? kebab(key);
  if (inner instanceof z.ZodNumber) {
    return { key, flag, kind: 'int', range: `${inner.minValue ?? '…'}–${inner.maxValue ?? '…'}`, defaultValue };
  }
  if (inner instanceof z.ZodBoolean) return { key, flag, kind: 'bool', range: 'true | false', defaultValue };
  if (inner instanceof z.ZodEnum) return { key, flag, kind: 'enum', range: inner.options.join(' | '), defaultValue };
  return undefined;
}

export const RUN_INPUT_FLAGS: readonly RunInputFlag[] = drainInputSchema
  .keyof()
  .options.flatMap((key) => describeFlag(key, drainInputSchema.shape[key]) ?? []);

/** A flag's text value as the run-input value it sets, or a message saying what is wrong with it. */
export function parseFlagValue(flag: RunInputFlag, text: string): { value: unknown } | { error: string } {
  if (flag.kind === 'int') {
    return /^\d+$/.test(text) ? { value: Number(text) } : { error: `--${flag.flag} must be a whole number` };
  }
  if (flag.kind === 'bool') {
    return text === 'true' || text === 'false'
      ? { value: text === 'true' }
      : { error: `--${flag.flag} must be true or false` };
  }
  return flag.range.split(' | ').includes(text)
    ? { value: text }
    : { error: `--${flag.flag} must be one of ${flag.range.replaceAll(' | ', ', ')}` };
}

/** The flags that would set these run-input values, e.g. `--lanes 4 --include-provenance true`. */
export function flagsFor(values: DrainInputOverrides): string {
  return RUN_INPUT_FLAGS.filter((f) => values[f.key] !== undefined)
    .map((f) => {
      const value = values[f.key];
      return `--${f.flag} ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`;
    })
    .join(' ');
}
