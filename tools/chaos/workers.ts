// Moved to tools/stack/worker-process.ts, which bench spawns its second worker with too; kept so chaos's importers
// need no change.
export { spawnWorkerProcess, type WorkerProcess } from '../stack/worker-process';
