import { ApplicationFailure } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import type { AckProgress, SubmissionRecords } from '../src/publish/plan';
import type { InvalidReason } from '../src/domain/reasons';
import { BATCH_NOT_HELD } from '../src/contracts/failure-types';
import { Runtime } from '@temporalio/worker';
import { keepLease, type Lease, type LeaseDeps, type LeaseLog } from '../src/sqs/lease';
import type { LeasedMessage } from '../src/contracts/batch-steps';

/** A received message as its worker holds it, from its receive until it is deleted (or its batch abandoned). */
export interface HeldMessage extends LeasedMessage {
  receivedAtMs: number;
  /** Seeds the event ids: the message's OriginalMessageId attribute (a dead-letter redrive) or its own id (G3). */
  identityId: string;
  /** The body exactly as SQS delivered it. */
  body: string;
  bodyBytes: number;
  /** SQS SentTimestamp (ms), for the end-to-end lag metric. */
  sentAtMs: number | null;
  receiveCount: number;
  /** SQS ApproximateFirstReceiveTimestamp (ms): a redelivered message's events can be on the stream since then. */
  firstReceivedAtMs: number | null;
  /**
   * Set by the validate step: the records to publish and the paths of unknown fields dropped (accept policy), or why
   * the submission is invalid.
   */
  validation?:
    | { valid: true; submission: SubmissionRecords; unknownFields?: string[] }
    | { valid: false; reason: InvalidReason; detail: string };
}

/** One receive's messages on the worker that received them. */
export interface HeldBatch {
  readonly id: string;
  readonly messages: Map<string, HeldMessage>;
  /** Acknowledged records per message: a retried publish on this worker resumes from here. */
  readonly progress: AckProgress;
  /** Worker clock when the first publish attempt began (a retry checks the stream from there). */
  publishStartedAtMs?: number;
  /** The publish attempt in flight, so a retry never runs beside the attempt it replaces. */
  publishing?: Promise<unknown>;
  /** What each step has settled so far, by step name: a retried attempt on this worker skips it. */
  readonly stepProgress: Map<string, unknown>;
}

export interface MessageHoldOptions {
  /** Body bytes this worker may hold; a receive asks for less when the hold is full. */
  maxBytes: number;
  /**
   * A batch no step has used for this long is let go (its lease stops, its messages reappear after their visibility
   * timeout): its run was abandoned or timed out. Longer than the schedule-to-start timeout of the batch's steps.
   */
  idleReleaseMs: number;
  now?: () => number;
  /** Reports the bytes held after every change (the worker's gauge). */
  onBytesChanged?: (bytes: number) => void;
}

interface BatchEntry {
  batch: HeldBatch;
  bytes: number;
  lease: Lease;
  inUse: number;
  idleSinceMs: number;
}

const WORKER_LOG: LeaseLog = {
  warn: (message, attributes) => {
    Runtime.instance().logger.warn(message, attributes);
  },
};

/**
 * The bodies of the batches this worker received, kept in memory until their messages are deleted, so they never
 * travel through Temporal (G8): SQS keeps every message until it is deleted, and a batch's later steps run on this
 * worker's own task queue. All of a batch's messages are under one lease from receive to delete (G5); if the worker
 * dies, the lease dies with it and the messages reappear after their visibility timeout, to be processed again with
 * the same event ids (G3).
 */
export class MessageHold {
  private readonly batches = new Map<string, BatchEntry>();
  private bytes = 0;
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;
  private stopped = false;

  private readonly deps: LeaseDeps;

  /** Without `log`, failed lease extensions go to the worker's logger (they happen between steps, outside any). */
  constructor(
    deps: Omit<LeaseDeps, 'log'> & { log?: LeaseLog },
    private readonly options: MessageHoldOptions,
  ) {
    this.deps = { ...deps, log: deps.log ?? WORKER_LOG };
    this.now = options.now ?? Date.now;
    this.sweeper = setInterval(() => this.releaseIdle(), Math.max(1_000, options.idleReleaseMs / 4));
    this.sweeper.unref();
  }

  get heldBytes(): number {
    return this.bytes;
  }

  get heldBatches(): number {
    return this.batches.size;
  }

  /** Bytes a receive may still take before the hold is full (never negative; 0 once it takes no more batches). */
  get room(): number {
    return this.stopped ? 0 : Math.max(0, this.options.maxBytes - this.bytes);
  }

  /** Takes no more batches (a stopping worker finishes the ones it holds); `room` is 0 from now on. */
  stopTaking(): void {
    this.stopped = true;
  }

  /** Takes a received batch under one lease; returns its id. */
  hold(messages: HeldMessage[], visibilityTimeoutSeconds: number): string {
    const batch: HeldBatch = {
      id: randomUUID(),
      messages: new Map(messages.map((m) => [m.messageId, m])),
      progress: {},
      stepProgress: new Map(),
    };
    const bytes = messages.reduce((sum, m) => sum + m.bodyBytes, 0);
    const lease = keepLease(this.deps, () => [...batch.messages.values()], visibilityTimeoutSeconds, this.now);
    this.batches.set(batch.id, { batch, bytes, lease, inUse: 0, idleSinceMs: this.now() });
    this.addBytes(bytes);
    return batch.id;
  }

  /**
   * Runs a step on a held batch. A batch this worker no longer holds (let go when idle, or the worker restarted under
   * the same queue name) fails the step for good: its messages reappear in the queue and are processed again.
   */
  async use<T>(batchId: string, step: (batch: HeldBatch) => Promise<T>): Promise<T> {
    const entry = this.batches.get(batchId);
    if (!entry) throw this.notHeld(batchId);
    entry.inUse += 1;
    try {
      return await step(entry.batch);
    } finally {
      entry.inUse -= 1;
      entry.idleSinceMs = this.now();
    }
  }

  /**
   * Runs a step on each of several held batches (at once); the ids of those no longer held are returned beside the
   * results. When none is held the step fails as `use` does.
   */
  async useEach<T>(
    batchIds: string[],
    step: (batch: HeldBatch) => Promise<T>,
  ): Promise<{ results: T[]; notHeld: string[] }> {
    const notHeld = batchIds.filter((id) => !this.batches.has(id));
    const held = batchIds.filter((id) => this.batches.has(id));
    if (held.length === 0 && notHeld[0] !== undefined) throw this.notHeld(notHeld[0]);
    const results = await Promise.all(held.map((id) => this.use(id, step)));
    return { results, notHeld };
  }

  private notHeld(batchId: string): ApplicationFailure {
    return ApplicationFailure.nonRetryable(
      `batch ${batchId} is not held by this worker (let go after ${this.options.idleReleaseMs} ms unused); its messages reappear in the queue`,
      BATCH_NOT_HELD,
    );
  }

  /** Messages whose fate is sealed (deleted, or left to reappear): no longer leased or held. */
  settle(batchId: string, messageIds: Iterable<string>): void {
    const entry = this.batches.get(batchId);
    if (!entry) return;
    for (const id of messageIds) {
      const message = entry.batch.messages.get(id);
      if (!message) continue;
      entry.batch.messages.delete(id);
      entry.bytes -= message.bodyBytes;
      this.addBytes(-message.bodyBytes);
    }
    if (entry.batch.messages.size === 0) this.release(batchId);
  }

  /** Lets a batch go: its lease stops, and messages not yet deleted reappear after their visibility timeout. */
  release(batchId: string): void {
    const entry = this.batches.get(batchId);
    if (!entry) return;
    entry.lease.release();
    this.batches.delete(batchId);
    this.addBytes(-entry.bytes);
  }

  /** Stops every lease and forgets every batch (worker shutdown). */
  close(): void {
    clearInterval(this.sweeper);
    for (const id of [...this.batches.keys()]) this.release(id);
  }

  /** Batches no step has used for idleReleaseMs: their run moved on without them. */
  releaseIdle(): number {
    const cutoff = this.now() - this.options.idleReleaseMs;
    let released = 0;
    for (const [id, entry] of this.batches) {
      if (entry.inUse > 0 || entry.idleSinceMs > cutoff) continue;
      this.release(id);
      released += 1;
    }
    return released;
  }

  private addBytes(delta: number): void {
    this.bytes += delta;
    this.options.onBytesChanged?.(this.bytes);
  }
}

/** A worker holding a quarter of its heap limit in bodies leaves room for their records and everything else. */
export function defaultHoldBytes(heapLimitBytes: number): number {
  return Math.floor(heapLimitBytes / 4);
}
