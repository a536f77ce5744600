import { GetQueueAttributesCommand, type QueueAttributeName, type SQSClient } from '@aws-sdk/client-sqs';

export interface QueueDepth {
  visible: number;
  notVisible: number;
  delayed: number;
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
  const n = (name: QueueAttributeName): number => Number(out.Attributes?.[name] ?? '0');
  return {
    visible: n('ApproximateNumberOfMessages'),
    notVisible: n('ApproximateNumberOfMessagesNotVisible'),
    delayed: n('ApproximateNumberOfMessagesDelayed'),
  };
}

export function isDrained(depth: QueueDepth): boolean {
  return depth.visible === 0 && depth.notVisible === 0 && depth.delayed === 0;
}
