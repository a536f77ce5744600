import type { ActivityDeps } from './deps';
import { createDeleteMessages } from './delete-messages';
import { createDropInvalidSubmissions } from './drop-invalid-submissions';
import { createPublishEvents } from './publish-events';
import { createReceiveSubmissions } from './receive-submissions';
import { createValidateAndTransform } from './validate-and-transform';
import { JudgedRecords } from './judged-records';

export type { ActivityDeps } from './deps';
export * from './types';

/** Dependency-injected activities (Temporal's activities-dependency-injection pattern). */
export function createActivities(workerDeps: ActivityDeps) {
  // One store per worker: its receive keeps the records it derived, its publish takes them.
  const deps = { ...workerDeps, judgedRecords: workerDeps.judgedRecords ?? new JudgedRecords() };
  return {
    receiveSubmissions: createReceiveSubmissions(deps),
    validateAndTransform: createValidateAndTransform(deps),
    publishEvents: createPublishEvents(deps),
    deleteMessages: createDeleteMessages(deps),
    dropInvalidSubmissions: createDropInvalidSubmissions(deps),
  };
}

export type PipelineActivities = ReturnType<typeof createActivities>;
