import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';

const count = z.string().regex(/^\d+$/, { error: 'must be a count (digits)' }).transform(Number);

/**
 * The three depth attributes, all required: an answer without one (a proxy, an emulator or a permission that drops
 * attributes) is an error, never "0 messages" — a missing depth read as empty would call a full queue drained.
 */
const depthAttributesSchema = z
  .object({
    ApproximateNumberOfMessages: count,
    ApproximateNumberOfMessagesNotVisible: count,
    ApproximateNumberOfMessagesDelayed: count,
  })
  .transform((a) => ({
    visible: a.ApproximateNumberOfMessages,
    notVisible: a.ApproximateNumberOfMessagesNotVisible,
    delayed: a.ApproximateNumberOfMessagesDelayed,
  }));

export type QueueDepth = z.output<typeof depthAttributesSchema>;

export class QueueDepthUnavailableError extends Error {
  override name = 'QueueDepthUnavailableError';
}

/** The depth from GetQueueAttributes' `Attributes`; throws QueueDepthUnavailableError naming what is missing. */
export function parseQueueDepth(queueUrl: string, attributes: Partial<Record<string, string>> | undefined): QueueDepth {
  const parsed = depthAttributesSchema.safeParse(attributes ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  throw new QueueDepthUnavailableError(`queue depth of ${queueUrl} unavailable (${problems})`);
}

/** The queue's approximate depth; drained means every count is zero (G1: deleted only after publishing). */
export async function readQueueDepth(sqs: SQSClient, queueUrl: string): Promise<QueueDepth> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return parseQueueDepth(queueUrl, out.Attributes);
}

export function isDrained(depth: QueueDepth): boolean {
  return depth.visible === 0 && depth.notVisible === 0 && depth.delayed === 0;
}
