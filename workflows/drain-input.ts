import { z } from 'zod';
import { validationLimitsSchema } from '../src/domain/limits';
import { PARTITION_KEY_FIELDS } from '../src/domain/partition-key';
import { DEFAULT_UNKNOWN_FIELD_POLICY, unknownFieldPolicySchema } from '../src/domain/unknown-fields';

/**
 * The one argument of every scheduled run. Operators retune the pipeline with
 * `temporal schedule update ... --input '{...}'`; each run validates what it got, so a typo fails that run loudly
 * (non-retryable, visible in the UI) instead of running with surprising values. Absent keys take these defaults.
 */
export const drainInputSchema = z
  .object({
    /** SQS MaxNumberOfMessages per ReceiveMessage request. */
    maxNumberOfMessages: z.number().int().min(1).max(10).default(10),
    /** Visibility timeout requested on receive: how long a crashed run keeps messages hidden. */
    visibilityTimeoutSeconds: z.number().int().min(10).max(43_200).default(120),
    /**
     * `continuous` (default): a lane keeps consuming until the run's deadline, long-polling (idleWaitSeconds) while
     * the queue is empty, so with the schedule's BUFFER_ONE one run is always listening and a submission is picked up
     * within moments. `drain`: a lane stops at its first empty receive (receiveWaitSeconds) and the queue waits for
     * the next tick. Trade-offs and idle cost: docs/benchmark.md.
     */
    mode: z.enum(['continuous', 'drain']).default('continuous'),
    /**
     * Continuous mode: long-poll wait of the first receive of a batch. SQS answers as soon as a message arrives, so
     * a longer wait costs no latency; it sets the idle cost (one receive activity per lane per wait when idle).
     */
    idleWaitSeconds: z.number().int().min(1).max(20).default(20),
    /** Drain mode: long-poll wait of the first receive of a batch; an empty answer ends the lane. */
    receiveWaitSeconds: z.number().int().min(0).max(20).default(1),
    /** ReceiveMessage requests folded into one receive activity (fewer Temporal actions per event). */
    receivesPerBatch: z.number().int().min(1).max(50).default(10),
    /**
     * Encoded payload bytes per batch, as Temporal stores them (bodies or events, whichever is larger, escapes and
     * per-message overhead included): keeps every activity payload far from Temporal's 2 MB limit. Each lane gets
     * at most its share of LANES_PAYLOAD_POOL_BYTES (see laneByteBudget), so lanes completing together stay within
     * the 4 MB workflow-task limit.
     */
    batchByteBudget: z
      .number()
      .int()
      .min(65_536)
      .max(1_000_000)
      .default(512 * 1024),
    /** Parallel lanes per run: each drains the queue independently, spread over the worker fleet. */
    lanes: z.number().int().min(1).max(64).default(2),
    /** A run stops starting new batches after this long; the schedule's next run carries on. */
    runBudgetSeconds: z.number().int().min(5).max(86_400).default(300),
    partitionKey: z.enum(PARTITION_KEY_FIELDS).default('device_id'),
    /** Adds submission_id and event_index to every event (off by default: docs/contract.md#output fields only). */
    includeProvenance: z.boolean().default(false),
    /** Set SubmissionsReceived / SubmissionsInvalid / EventsPublished on the run (they must be registered). */
    searchAttributes: z.boolean().default(true),
    /**
     * Unknown fields in a submission: `accept` drops them from the output and counts them, `reject` makes the
     * submission invalid (src/domain/unknown-fields.ts). Part of the run input so every worker judges a run alike.
     */
    unknownFields: unknownFieldPolicySchema.default(DEFAULT_UNKNOWN_FIELD_POLICY),
    /**
     * Validation limits of this run, the same on every worker (docs/compatibility.md). Absent (schedules created
     * before the key existed): each worker's MAX_* environment, as before.
     */
    validationLimits: validationLimitsSchema.optional(),
  })
  .strict();

export type DrainInput = z.infer<typeof drainInputSchema>;

/** Temporal's default limits: one payload (blob) 2 MiB, one workflow-task completion (a gRPC message) 4 MiB. */
export const TEMPORAL_PAYLOAD_LIMIT_BYTES = 2 * 1024 * 1024;
export const WORKFLOW_TASK_LIMIT_BYTES = 4 * 1024 * 1024;

/**
 * What all lanes' batches together may carry: when every lane completes in the same workflow task, its commands hold
 * at most this much, plus one batch over its lane's budget (a message alone, processed one at a time per run, at most
 * one payload: 2 MiB), plus headroom for the rest of the task.
 */
export const LANES_PAYLOAD_POOL_BYTES = 1536 * 1024;

/** The byte budget one lane's batch may use: the configured budget, or its share of the pool when that is smaller. */
export function laneByteBudget(input: Pick<DrainInput, 'batchByteBudget' | 'lanes'>): number {
  return Math.min(input.batchByteBudget, Math.floor(LANES_PAYLOAD_POOL_BYTES / input.lanes));
}
export type DrainInputOverrides = z.input<typeof drainInputSchema>;
