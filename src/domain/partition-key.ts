import { z } from 'zod';
import type { Submission } from './submission';

// Both are per-submission values, so every event of a submission lands on one shard, which G2's ordering needs.
// device_id (the default) also keeps a device's submissions together; submission_id spreads a hot device's load.
export const PARTITION_KEY_FIELDS = ['device_id', 'submission_id'] as const;
export type PartitionKeyField = (typeof PARTITION_KEY_FIELDS)[number];
export const partitionKeyFieldSchema = z.enum(PARTITION_KEY_FIELDS);

export function partitionKeyFor(submission: Submission, field: PartitionKeyField): string {
  return submission[field];
}
