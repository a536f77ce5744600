import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';

// The workflow type stays drainQueue: this module is the bundle's entry (workflowsPath) and its interceptor module.
export { drainQueue } from '../../../workflows';

/**
 * A deliberately incompatible change: drainQueue without its deleteMessages step (the workflow carries on as if every
 * message had been deleted). Applied as an interceptor on top of the real workflows/, see swap-publish-and-delete.ts.
 */
export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      scheduleActivity: (input, next) =>
        input.activityType === 'deleteMessages'
          ? Promise.resolve({ notHeld: [], deleted: 0, retriedEntries: 0, staleReceipts: 0 })
          : next(input),
    },
  ],
});
