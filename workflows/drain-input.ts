import { ApplicationFailure } from '@temporalio/common';
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
    /**
     * ReceiveMessage requests at most per batch: a batch grows while answers come back full, so it is one message at
     * light load and up to receivesPerBatch × maxNumberOfMessages in a backlog (fewer Temporal actions per event).
     */
    receivesPerBatch: z.number().int().min(1).max(100).default(50),
    /**
     * A trickle: after a batch's first answer brings fewer than maxNumberOfMessages, the receive waits until the
     * oldest of them was sent this long ago and asks again, so a batch's steps serve a few submissions instead of one
     * (fewer actions per event, at most this much more latency). 0: every submission is its own batch at light load.
     */
    gatherMilliseconds: z.number().int().min(0).max(5_000).default(500),
    /**
     * Retired: batches are no longer sized by Temporal's payload limits (bodies stay on the worker). Accepted and
     * ignored, so the input of schedules created before still parses.
     */
    batchByteBudget: z.number().int().optional(),
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
     * submission invalid (src/domain/unknown-fields.ts). Part of the run input so every worker validates a run's messages alike.
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

export type DrainInputOverrides = z.input<typeof drainInputSchema>;

/** The run's input, or a non-retryable failure naming every bad key: a typo fails that run loudly, visible in the UI. */
export function parseDrainInput(rawInput: unknown): DrainInput {
  const parsed = drainInputSchema.safeParse(rawInput ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
    throw ApplicationFailure.nonRetryable(`invalid run input: ${problems}`, 'InvalidDrainInput');
  }
  return parsed.data;
}
