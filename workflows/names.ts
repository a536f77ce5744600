/** Names every process must agree on. */
export const WORKFLOW_TYPE = 'drainQueue';
/** Progress query name, for `temporal workflow query --type progress`. */
export const PROGRESS_QUERY = 'progress';
