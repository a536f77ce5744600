import {
  ChangeMessageVisibilityBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/**
 * Receives up to `max` (≤ 10) dead letters with everything a redrive must carry over (message attributes) and a
 * listing shows (sent time, receive count). A 1 s long poll asks every SQS server, so an empty answer means empty.
 */
export async function receiveDeadLetters(
  sqs: SQSClient,
  queueUrl: string,
  max: number,
  visibilityTimeoutSeconds: number,
): Promise<Message[]> {
  const { Messages } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: Math.min(10, Math.max(1, max)),
      VisibilityTimeout: visibilityTimeoutSeconds,
      WaitTimeSeconds: 1,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
    }),
  );
  return Messages ?? [];
}

/** Makes received messages visible again at once (a listing must not hide the DLQ from a redrive for minutes). */
export async function releaseMessages(sqs: SQSClient, queueUrl: string, messages: readonly Message[]): Promise<number> {
  let failed = 0;
  for (let start = 0; start < messages.length; start += 10) {
    const chunk = messages.slice(start, start + 10);
    const { Failed } = await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '', VisibilityTimeout: 0 })),
      }),
    );
    failed += Failed?.length ?? 0;
  }
  return failed;
}

/**
 * Up to `limit` distinct messages for a listing: received with a short visibility timeout (so the next receive gets
 * other messages), then released. Receiving counts as a receive: each listed message's ApproximateReceiveCount grows
 * by one (harmless on a DLQ, which has no redrive policy of its own).
 */
export async function peekDeadLetters(
  sqs: SQSClient,
  queueUrl: string,
  limit: number,
  visibilityTimeoutSeconds = 30,
): Promise<{ messages: Message[]; releaseFailures: number }> {
  const seen = new Map<string, Message>();
  const received: Message[] = [];
  let releaseFailures = 0;
  try {
    while (seen.size < limit) {
      const batch = await receiveDeadLetters(sqs, queueUrl, limit - seen.size, visibilityTimeoutSeconds);
      if (batch.length === 0) break;
      received.push(...batch);
      for (const m of batch) seen.set(m.MessageId ?? String(seen.size), m);
    }
  } finally {
    // Released even when a receive failed midway, so a failed listing hides nothing for long.
    releaseFailures = await releaseMessages(sqs, queueUrl, received);
  }
  return { messages: [...seen.values()], releaseFailures };
}
