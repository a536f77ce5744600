import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type QueueAttributeName,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { OperatorError } from '../cli/shell';

/** The dead-letter queue and the queue its messages came from (and go back to on redrive). */
export interface DlqPair {
  dlqUrl: string;
  dlqArn: string;
  sourceUrl: string;
  sourceArn: string;
}

export interface QueueDepth {
  /** Visible messages (ApproximateNumberOfMessages). */
  visible: number;
  /** Received by someone and not yet deleted or released (ApproximateNumberOfMessagesNotVisible). */
  inFlight: number;
}

const redrivePolicySchema = z.object({ deadLetterTargetArn: z.string().min(1) });

async function attributes(
  sqs: SQSClient,
  queueUrl: string,
  names: QueueAttributeName[],
): Promise<Record<string, string>> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: names }));
  return Attributes ?? {};
}

function required(attrs: Record<string, string>, name: string, queueUrl: string): string {
  const value = attrs[name];
  if (value === undefined) throw new OperatorError(`queue ${queueUrl} did not report ${name}`);
  return value;
}

/** One cheap GetQueueAttributes: the numbers behind `dlq list` and the worker's edr_dlq_messages gauge. */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<QueueDepth> {
  const attrs = await attributes(sqs, queueUrl, [
    'ApproximateNumberOfMessages',
    'ApproximateNumberOfMessagesNotVisible',
  ]);
  return {
    visible: Number(attrs.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(attrs.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

/**
 * The DLQ is the one the source queue's redrive policy names, unless `dlqUrl` (SQS_DLQ_URL or --dlq-url) says
 * otherwise; either way the pair is checked, so a redrive never sends one queue's dead letters into another queue.
 */
export async function resolveDlqPair(sqs: SQSClient, sourceUrl: string, dlqUrl?: string): Promise<DlqPair> {
  const source = await attributes(sqs, sourceUrl, ['QueueArn', 'RedrivePolicy']);
  const sourceArn = required(source, 'QueueArn', sourceUrl);
  const policy = source.RedrivePolicy === undefined ? undefined : parseRedrivePolicy(source.RedrivePolicy);
  if (policy === undefined && dlqUrl === undefined) {
    throw new OperatorError(
      `queue ${sourceUrl} has no redrive policy, so it has no dead-letter queue; set SQS_DLQ_URL or pass --dlq-url`,
    );
  }
  const url = dlqUrl ?? (await queueUrlForArn(sqs, policy?.deadLetterTargetArn ?? ''));
  const dlqArn = required(await attributes(sqs, url, ['QueueArn']), 'QueueArn', url);
  if (policy !== undefined && policy.deadLetterTargetArn !== dlqArn) {
    throw new OperatorError(
      `queue ${sourceUrl} dead-letters into ${policy.deadLetterTargetArn}, not into ${dlqArn} (${url}); ` +
        'check SQS_DLQ_URL / --dlq-url and SQS_QUEUE_URL / --queue-url',
    );
  }
  return { dlqUrl: url, dlqArn, sourceUrl, sourceArn };
}

function parseRedrivePolicy(raw: string): z.infer<typeof redrivePolicySchema> {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new OperatorError(`unreadable RedrivePolicy: ${raw.slice(0, 200)}`);
  }
  const parsed = redrivePolicySchema.safeParse(json);
  if (!parsed.success) throw new OperatorError(`RedrivePolicy without deadLetterTargetArn: ${raw.slice(0, 200)}`);
  return parsed.data;
}

/** arn:aws:sqs:<region>:<account>:<name> → the queue's URL, through the API (no URL format guessed). */
async function queueUrlForArn(sqs: SQSClient, arn: string): Promise<string> {
  const parts = arn.split(':');
  const name = parts[5];
  const account = parts[4];
  if (parts.length !== 6 || !name || !account) throw new OperatorError(`not an SQS queue ARN: ${arn}`);
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }));
  if (!QueueUrl) throw new OperatorError(`no URL for dead-letter queue ${arn}`);
  return QueueUrl;
}
