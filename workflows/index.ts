export { drainQueue, progressQuery } from './drain-queue';
export type { CarriedState, RunProgress } from './drain-queue';
