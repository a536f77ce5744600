import { Runtime, Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { getHeapStatistics } from 'node:v8';
import { createActivities, defaultHoldBytes, MessageHold, type ActivityDeps } from '../../activities';
import type { ExpectedSdkMessage } from './json-logger';

/** Everything both workers of a process share: connection, workflow code, codec, versioning. */
export type SharedWorkerOptions = Partial<
  Pick<
    WorkerOptions,
    | 'namespace'
    | 'dataConverter'
    | 'workerDeploymentOptions'
    | 'workflowBundle'
    | 'workflowsPath'
    | 'shutdownGraceTime'
    | 'identity'
  >
>;

export interface PipelineWorkerOptions {
  connection: NativeConnection;
  /** The shared task queue: the schedule's runs and every batch's receive. */
  taskQueue: string;
  shared: SharedWorkerOptions;
  /** The activities' AWS clients and settings; the hold and the own queue are made here. */
  deps: Omit<ActivityDeps, 'hold' | 'ownTaskQueue'>;
  /** Activity slots of the shared queue's worker (receives: one per lane while it long-polls). */
  maxConcurrentActivities: number;
  /** Body bytes the hold may keep (0: a quarter of the heap limit). */
  maxHeldBytes: number;
}

/** How long a held batch may go unused before it is let go (its run moved on without it). */
export const HOLD_IDLE_RELEASE_MS = 5 * 60_000;

export interface PipelineWorkers {
  /** This process's own task queue, where the steps of the batches it holds run. */
  ownTaskQueue: string;
  hold: MessageHold;
  /** Runs both workers until shutdown; then lets every held batch go. */
  run(): Promise<void>;
  /**
   * Stops taking batches at once, finishes the ones it holds for up to `graceMs`, then stops both workers (their
   * running activities get the SDK's shutdownGraceTime). A batch still held after that is let go: its messages
   * reappear after their visibility timeout (same event ids).
   */
  shutdown(graceMs: number): Promise<void>;
  /** Runs both workers while `work` runs, then shuts them down (tests, benchmark). */
  runUntil<T>(work: () => Promise<T>, graceMs?: number): Promise<T>;
}

/** This process's own task queue under the shared `taskQueue`: host, pid and a random part, so never shared. */
export function ownTaskQueueName(taskQueue: string): string {
  return `${ownTaskQueuePrefix(taskQueue)}${randomUUID().slice(0, 8)}`;
}

const ownTaskQueuePrefix = (taskQueue: string): string => `${taskQueue}/${hostname()}-${process.pid}-`;

/**
 * What the SDK says at start-up about what these two workers do not poll, all by design: neither registers Nexus
 * services (INFO, once per worker), and the worker on this process's own queue runs batch steps only, no workflows
 * (WARN). The worker's JSON logger logs exactly these at DEBUG (createJsonLogger); the same WARN for the shared
 * queue, which must run the workflows, keeps its level.
 */
export function expectedStartupMessages(taskQueue: string): ExpectedSdkMessage[] {
  const isOwnQueue = (name: string): boolean => name.startsWith(ownTaskQueuePrefix(taskQueue));
  return [
    {
      level: 'INFO',
      message: 'No Nexus services registered, not polling for Nexus tasks',
      taskQueue: (name) => name === taskQueue || isOwnQueue(name),
    },
    { level: 'WARN', message: 'No workflows registered, not polling for workflow tasks', taskQueue: isOwnQueue },
  ];
}

/**
 * The worker composition every deployment runs (Temporal's worker-specific task queues pattern): one worker on the
 * shared queue (workflows and receives) and one on a queue of this process's own, where the steps of the batches
 * this process received run beside the bodies it holds. A process that dies takes its queue with it: its batches'
 * steps time out waiting to start, the run abandons them, and their messages reappear in SQS.
 */
export async function createPipelineWorkers(options: PipelineWorkerOptions): Promise<PipelineWorkers> {
  const ownTaskQueue = ownTaskQueueName(options.taskQueue);
  const heldBytes = Runtime.instance().metricMeter.createGauge(
    'edr_worker_held_bytes',
    'int',
    'By',
    'Body bytes this worker holds for the batches it received and has not yet deleted',
  );
  const hold = new MessageHold(options.deps, {
    maxBytes: options.maxHeldBytes > 0 ? options.maxHeldBytes : defaultHoldBytes(getHeapStatistics().heap_size_limit),
    idleReleaseMs: HOLD_IDLE_RELEASE_MS,
    onBytesChanged: (bytes) => heldBytes.set(bytes),
  });
  const { receiveSubmissions, ...batchSteps } = createActivities({ ...options.deps, hold, ownTaskQueue });
  const shared = await Worker.create({
    ...options.shared,
    connection: options.connection,
    taskQueue: options.taskQueue,
    activities: { receiveSubmissions },
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivities,
  });
  const own = await Worker.create({
    ...options.shared,
    workflowBundle: undefined,
    workflowsPath: undefined,
    connection: options.connection,
    taskQueue: ownTaskQueue,
    activities: batchSteps,
    // Bounded by the hold's bytes, not by slots: a batch's step must never wait for a slot until it is abandoned.
    maxConcurrentActivityTaskExecutions: 1000,
  });
  const workers: PipelineWorkers = {
    ownTaskQueue,
    hold,
    async run() {
      try {
        await Promise.all([shared.run(), own.run()]);
      } finally {
        hold.close();
      }
    },
    async shutdown(graceMs) {
      // Receives now answer "full" after their wait, so no new batch comes in, while this worker keeps running the
      // runs' workflow tasks and the steps of the batches it holds until they are deleted (or the grace is over).
      hold.stopTaking();
      const until = Date.now() + graceMs;
      while (hold.heldBatches > 0 && Date.now() < until) await sleep(100);
      if (shared.getState() === 'RUNNING') shared.shutdown();
      if (own.getState() === 'RUNNING') own.shutdown();
    },
    async runUntil(work, graceMs = 5_000) {
      const running = workers.run();
      try {
        return await work();
      } finally {
        await workers.shutdown(graceMs);
        await running;
      }
    },
  };
  return workers;
}
