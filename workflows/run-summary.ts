/**
 * What one scheduled run did, as the Temporal UI shows it (query while running, result when done). Pure data and
 * pure helpers: the workflow imports this file, so it must stay free of Node and AWS.
 */

import type { InvalidSample } from '../src/contracts/batch-steps';
import { addBounded } from '../src/contracts/bounded-counts';

export interface StepFailure {
  step: 'receive' | 'validate' | 'publish' | 'delete';
  messages: number;
  error: string;
}

export interface RunTotals {
  batches: number;
  received: number;
  valid: number;
  invalid: number;
  invalidByReason: Record<string, number>;
  /** The first invalid submissions of the run, with their reasons (bounded: history must stay small). */
  invalidSamples: InvalidSample[];
  eventsPublished: number;
  deleted: number;
  publishRetriedEntries: number;
  deleteRetriedEntries: number;
  /**
   * Messages of batches abandoned because the worker holding them was gone (or let them go): they reappear in the
   * queue after their visibility timeout and are processed again with the same event ids (G3, G5).
   */
  abandonedMessages: number;
  /** Invalid submissions copied to the quarantine queue before deletion. */
  quarantined: number;
  /** Messages whose lease expired before deletion: they will be redelivered (same event ids). */
  staleReceipts: number;
  /** Valid submissions that carried unknown fields (dropped from the output, not forwarded). */
  unknownFieldSubmissions: number;
  /** Those submissions per field path, at most MAX_UNKNOWN_FIELD_PATHS_KEPT paths (the rest under `other`). */
  unknownFieldsByPath: Record<string, number>;
  /** Steps that failed after their retry policy was exhausted; those messages stay in the queue. */
  failures: StepFailure[];
  continuedAsNew: number;
}

export const MAX_INVALID_SAMPLES = 50;
export const MAX_FAILURES_KEPT = 20;
export const MAX_UNKNOWN_FIELD_PATHS_KEPT = 32;

export function emptyTotals(): RunTotals {
  return {
    batches: 0,
    received: 0,
    valid: 0,
    invalid: 0,
    invalidByReason: {},
    invalidSamples: [],
    eventsPublished: 0,
    deleted: 0,
    publishRetriedEntries: 0,
    deleteRetriedEntries: 0,
    abandonedMessages: 0,
    quarantined: 0,
    staleReceipts: 0,
    unknownFieldSubmissions: 0,
    unknownFieldsByPath: {},
    failures: [],
    continuedAsNew: 0,
  };
}

export function recordInvalid(
  totals: RunTotals,
  invalid: { byReason: Partial<Record<string, number>>; samples: readonly InvalidSample[] },
): void {
  for (const [reason, count = 0] of Object.entries(invalid.byReason)) {
    totals.invalid += count;
    totals.invalidByReason[reason] = (totals.invalidByReason[reason] ?? 0) + count;
  }
  for (const sample of invalid.samples) {
    if (totals.invalidSamples.length < MAX_INVALID_SAMPLES) totals.invalidSamples.push(sample);
  }
}

export function recordUnknownFields(
  totals: RunTotals,
  counts: { submissions: number; byPath: Record<string, number> },
): void {
  totals.unknownFieldSubmissions += counts.submissions;
  for (const [path, count] of Object.entries(counts.byPath)) {
    addBounded(totals.unknownFieldsByPath, path, MAX_UNKNOWN_FIELD_PATHS_KEPT, count);
  }
}

export function recordFailure(totals: RunTotals, failure: StepFailure): void {
  if (totals.failures.length < MAX_FAILURES_KEPT) totals.failures.push(failure);
}

export type LaneStop = 'queue-empty' | 'run-budget-spent' | 'history-full' | 'step-failed';

export interface RunSummary extends RunTotals {
  lanes: LaneStop[];
  durationMs: number;
}

/** One line for logs and the UI: "received 120 (valid 110, invalid 10), published 880 events, deleted 120". */
export function describeTotals(t: RunTotals): string {
  return (
    `received ${t.received} (valid ${t.valid}, invalid ${t.invalid}), published ${t.eventsPublished} events, ` +
    `deleted ${t.deleted}` +
    (t.unknownFieldSubmissions > 0 ? `, ${t.unknownFieldSubmissions} with unknown fields (dropped)` : '') +
    (t.abandonedMessages > 0 ? `, ${t.abandonedMessages} abandoned (redelivered)` : '') +
    (t.failures.length > 0 ? `, ${t.failures.length} failed runStep(s)` : '')
  );
}
