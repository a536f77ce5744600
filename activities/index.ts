import type { ActivityDeps } from './deps';
import { createDeleteMessages } from './delete-messages';
import { createDropInvalidSubmissions } from './drop-invalid-submissions';
import { createPublishEvents } from './publish-events';
import { createReceiveSubmissions } from './receive-submissions';
import { createValidateSubmissions } from './validate-submissions';

export type { ActivityDeps } from './deps';
export { MessageHold, defaultHoldBytes } from './message-hold';
export * from '../src/contracts/batch-steps';

/**
 * Dependency-injected activities (Temporal's activities-dependency-injection pattern). The receive runs on the shared
 * task queue; the others run on the receiving worker's own queue, where its hold keeps the batch's bodies.
 */
export function createActivities(deps: ActivityDeps) {
  return {
    receiveSubmissions: createReceiveSubmissions(deps),
    validateSubmissions: createValidateSubmissions(deps),
    publishEvents: createPublishEvents(deps),
    deleteMessages: createDeleteMessages(deps),
    dropInvalidSubmissions: createDropInvalidSubmissions(deps),
  };
}

export type PipelineActivities = ReturnType<typeof createActivities>;
