import { sleep, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

// The workflow type stays drainQueue: this module is the bundle's entry (workflowsPath) and its interceptor module.
export { drainQueue } from '../../../workflows';

/**
 * A deliberately incompatible lane-level change: every lane waits on a 1 ms timer before each receive (a pause a
 * well-meant "back off when idle" would add). The timer is a new command where the history has the receive, so every
 * history fails replay at its first receive. Applied as an interceptor, see swap-publish-and-delete.ts.
 */
export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      scheduleActivity: async (input, next) => {
        if (input.activityType === 'receiveSubmissions') await sleep(1);
        return next(input);
      },
    },
  ],
});
