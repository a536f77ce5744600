import { z } from 'zod';
import { validationLimitsSchema } from './domain/limits';
import { PARTITION_KEY_FIELDS } from './domain/partition-key';
import { DEFAULT_UNKNOWN_FIELD_POLICY, unknownFieldPolicySchema } from './domain/unknown-fields';

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
    /** Long-poll wait of the first receive of a batch; an empty answer ends the lane. */
    receiveWaitSeconds: z.number().int().min(0).max(20).default(1),
    /** ReceiveMessage requests folded into one receive activity (fewer Temporal actions per event). */
    receivesPerBatch: z.number().int().min(1).max(50).default(10),
    /**
     * Message bodies per batch are capped so no activity payload comes near Temporal's 2 MB limit: the serialized
     * events of a batch are somewhat larger than its bodies (each event gains its id, type, device and time).
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
    /** Adds submission_id and event_index to every event (off by default: SPEC §3 fields only). */
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
export type DrainInputOverrides = z.input<typeof drainInputSchema>;
