import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';

// The workflow type stays drainQueue: this module is the bundle's entry (workflowsPath) and its interceptor module.
export { drainQueue } from '../../../workflows';

/**
 * A deliberately incompatible change: drainQueue with publish and delete swapped (deleteMessages scheduled where
 * publishEvents was, and the reverse). Applied as an interceptor on top of the real workflows/ so it stays "the
 * current workflow plus one reordering" whatever else changes there; a copied file would drift from the histories.
 */
const SWAPPED: Record<string, string> = { publishEvents: 'deleteMessages', deleteMessages: 'publishEvents' };

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      scheduleActivity: (input, next) =>
        next({ ...input, activityType: SWAPPED[input.activityType] ?? input.activityType }),
    },
  ],
});
