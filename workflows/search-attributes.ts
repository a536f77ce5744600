import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { upsertSearchAttributes } from '@temporalio/workflow';
import type { RunTotals } from './run-summary';

/**
 * Custom search attributes each run sets, so runs can be filtered in the Web UI (e.g. `SubmissionsInvalid > 0`).
 * They must be registered on the namespace first: the local stack does it (scripts/stack-up.sh); on a cluster run
 * `temporal operator search-attribute create --name SubmissionsReceived --type Int` (and the others), or set the run
 * input `searchAttributes: false`.
 */
export const SUBMISSIONS_RECEIVED = defineSearchAttributeKey('SubmissionsReceived', SearchAttributeType.INT);
export const SUBMISSIONS_INVALID = defineSearchAttributeKey('SubmissionsInvalid', SearchAttributeType.INT);
export const EVENTS_PUBLISHED = defineSearchAttributeKey('EventsPublished', SearchAttributeType.INT);

export const RUN_SEARCH_ATTRIBUTES = [SUBMISSIONS_RECEIVED, SUBMISSIONS_INVALID, EVENTS_PUBLISHED];

/** Once per run, from workflow code (each upsert is a history event): lets operators filter runs in the UI. */
export function publishSearchAttributes(totals: RunTotals): void {
  upsertSearchAttributes([
    { key: SUBMISSIONS_RECEIVED, value: totals.received },
    { key: SUBMISSIONS_INVALID, value: totals.invalid },
    { key: EVENTS_PUBLISHED, value: totals.eventsPublished },
  ]);
}
