import { DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import type { Config } from '../config/environment';

/**
 * Start-up checks of the worker: the queue and the stream exist and answer, and the visibility timeout leaves room
 * for a batch. Everything wrong is reported at once, in one error that says what to fix, so a bad deployment stops
 * before it polls Temporal instead of failing every run with the same AWS error.
 */
export type PreflightProblemCode =
  | 'queue_missing'
  | 'queue_unreachable'
  | 'queue_access_denied'
  | 'stream_missing'
  | 'stream_not_active'
  | 'stream_unreachable'
  | 'stream_access_denied'
  | 'visibility_timeout_too_short'
  | 'search_attributes_missing';

export interface PreflightProblem {
  code: PreflightProblemCode;
  message: string;
}

export class PreflightError extends Error {
  override name = 'PreflightError';
  constructor(readonly problems: PreflightProblem[]) {
    super(`Start-up checks failed:\n${problems.map((p) => `  [${p.code}] ${p.message}`).join('\n')}`);
  }
}

/**
 * Allowances, in seconds, for the one stretch of a batch during which no lease extension runs: its receive. A batch's
 * lease (activities/message-hold.ts) runs from the moment the receive ends until its messages are deleted, and its
 * first extension is due a third of the timeout after the batch's first message was received. The allowances are
 * deliberately generous for a healthy system (an SQS call answers in tens of milliseconds); a system slower than this
 * risks redeliveries, which carry the same event ids (G3, docs/contract.md).
 */
export const LEASE_ALLOWANCES = {
  /** One ReceiveMessage request after the first (the follow-ups do not long-poll). */
  sqsCallSeconds: 1,
  /** The receive stops asking this long into its 60 s attempt (activities/receive-submissions.ts). */
  receiveBudgetSeconds: 50,
  /** An extension that SQS answers only at the client's request timeout (src/aws/clients.ts). */
  extensionRequestSeconds: 30,
  /** Floor, see minimumVisibilityTimeoutSeconds. */
  floorSeconds: 45,
} as const;

/**
 * The shortest visibility timeout V that covers one batch (docs/operations.md, "Visibility timeout rule"): the first
 * messages wait for the batch's other receive requests, and an extension answered only at the request timeout must
 * still land before V runs out (V/3 + 30 s ≤ V, hence the 45 s floor).
 */
export function minimumVisibilityTimeoutSeconds(batch: {
  receivesPerBatch: number;
  maxNumberOfMessages: number;
}): number {
  const a = LEASE_ALLOWANCES;
  const receiving = Math.min((batch.receivesPerBatch - 1) * a.sqsCallSeconds, a.receiveBudgetSeconds);
  return Math.max(a.floorSeconds, receiving + a.extensionRequestSeconds + 5);
}

export type PreflightConfig = Pick<
  Config,
  | 'SQS_QUEUE_URL'
  | 'KINESIS_STREAM_NAME'
  | 'AWS_REGION'
  | 'VISIBILITY_TIMEOUT_SECONDS'
  | 'RECEIVES_PER_BATCH'
  | 'MAX_NUMBER_OF_MESSAGES'
>;

export interface PreflightDeps {
  sqs: SQSClient;
  kinesis: KinesisClient;
  /** Findings that do not stop the worker (no dead-letter queue, ...). Default: console.warn. */
  warn?: (message: string) => void;
}

const redrivePolicySchema = z.object({
  deadLetterTargetArn: z.string(),
  maxReceiveCount: z.coerce.number().int().positive(),
});

/** Throws PreflightError naming every problem found; resolves when the worker can start. */
export async function preflight(config: PreflightConfig, deps: PreflightDeps): Promise<void> {
  const warn = deps.warn ?? ((message: string) => console.warn(message));
  const [queue, stream] = await Promise.all([checkQueue(config, deps.sqs, warn), checkStream(config, deps.kinesis)]);
  const problems = [...queue, ...stream, ...checkVisibilityTimeout(config)];
  if (problems.length > 0) throw new PreflightError(problems);
}

async function checkQueue(
  config: PreflightConfig,
  sqs: SQSClient,
  warn: (message: string) => void,
): Promise<PreflightProblem[]> {
  const url = config.SQS_QUEUE_URL;
  let attributes: Record<string, string>;
  try {
    const response = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['VisibilityTimeout', 'RedrivePolicy'] }),
    );
    attributes = response.Attributes ?? {};
  } catch (err) {
    const name = awsErrorName(err);
    if (name === 'QueueDoesNotExist' || name === 'AWS.SimpleQueueService.NonExistentQueue') {
      return [
        {
          code: 'queue_missing',
          message:
            `SQS queue ${url} does not exist (${name}). Set SQS_QUEUE_URL to the URL CreateQueue or GetQueueUrl ` +
            `returns (on the local emulator: http://sqs.${config.AWS_REGION}.localhost:<port>/000000000000/<name>), ` +
            `check AWS_REGION (${config.AWS_REGION}), or create the queue.`,
        },
      ];
    }
    if (isAccessDenied(name)) {
      return [
        {
          code: 'queue_access_denied',
          message:
            `not allowed to read SQS queue ${url} (${name}): the worker's credentials need sqs:GetQueueAttributes, ` +
            'sqs:ReceiveMessage, sqs:ChangeMessageVisibility and sqs:DeleteMessage on it (docs/operations.md).',
        },
      ];
    }
    return [
      {
        code: 'queue_unreachable',
        message:
          `cannot reach SQS for ${url}: ${describeError(err)}. Check AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL ` +
          '(unset on AWS), the network, and that the SQS service or emulator is running.',
      },
    ];
  }

  const redrive = attributes.RedrivePolicy;
  if (!redrive) {
    warn(
      `SQS queue ${url} has no RedrivePolicy: a message whose publishing keeps failing is redelivered forever. ` +
        'Attach a dead-letter queue (maxReceiveCount 5 or more).',
    );
  } else {
    const policy = safeJson(redrive, redrivePolicySchema);
    if (!policy) warn(`SQS queue ${url} has a RedrivePolicy that cannot be read: ${redrive}`);
    else if (policy.maxReceiveCount < 3) {
      warn(
        `SQS queue ${url} dead-letters after ${policy.maxReceiveCount} receive(s): a worker crash or a short outage ` +
          'then moves valid submissions to the dead-letter queue. Use maxReceiveCount 3 or more.',
      );
    }
  }
  // The queue's own VisibilityTimeout is not used (every receive sets VISIBILITY_TIMEOUT_SECONDS explicitly); it only
  // matters to other consumers of the queue, so it is read but never checked.
  return [];
}

async function checkStream(config: PreflightConfig, kinesis: KinesisClient): Promise<PreflightProblem[]> {
  const name = config.KINESIS_STREAM_NAME;
  try {
    const { StreamDescriptionSummary: summary } = await kinesis.send(
      new DescribeStreamSummaryCommand({ StreamName: name }),
    );
    const status = summary?.StreamStatus ?? 'UNKNOWN';
    // UPDATING (resharding, retention or encryption change) keeps the stream writable.
    if (status === 'ACTIVE' || status === 'UPDATING') return [];
    return [
      {
        code: 'stream_not_active',
        message:
          `Kinesis stream ${name} is ${status}, not ACTIVE: ` +
          (status === 'CREATING'
            ? 'wait until it is ACTIVE, then start the worker again.'
            : 'recreate it or set KINESIS_STREAM_NAME.'),
      },
    ];
  } catch (err) {
    const errorName = awsErrorName(err);
    if (errorName === 'ResourceNotFoundException') {
      return [
        {
          code: 'stream_missing',
          message:
            `Kinesis stream ${name} does not exist in ${config.AWS_REGION}. Set KINESIS_STREAM_NAME (and AWS_REGION) ` +
            'to an existing stream, or create it (aws kinesis create-stream --stream-name ... --shard-count N).',
        },
      ];
    }
    if (isAccessDenied(errorName)) {
      return [
        {
          code: 'stream_access_denied',
          message:
            `not allowed to describe Kinesis stream ${name} (${errorName}): the worker's credentials need ` +
            'kinesis:DescribeStreamSummary and kinesis:PutRecords on it (docs/operations.md).',
        },
      ];
    }
    return [
      {
        code: 'stream_unreachable',
        message:
          `cannot reach Kinesis for stream ${name}: ${describeError(err)}. Check AWS_ENDPOINT_URL_KINESIS / ` +
          'AWS_ENDPOINT_URL (unset on AWS), the network, and that Kinesis or its emulator is running.',
      },
    ];
  }
}

function checkVisibilityTimeout(config: PreflightConfig): PreflightProblem[] {
  const minimum = minimumVisibilityTimeoutSeconds({
    receivesPerBatch: config.RECEIVES_PER_BATCH,
    maxNumberOfMessages: config.MAX_NUMBER_OF_MESSAGES,
  });
  if (config.VISIBILITY_TIMEOUT_SECONDS >= minimum) return [];
  return [
    {
      code: 'visibility_timeout_too_short',
      message:
        `VISIBILITY_TIMEOUT_SECONDS=${config.VISIBILITY_TIMEOUT_SECONDS} is too short for batches of ` +
        `${config.RECEIVES_PER_BATCH} × ${config.MAX_NUMBER_OF_MESSAGES} messages (RECEIVES_PER_BATCH × ` +
        `MAX_NUMBER_OF_MESSAGES): set it to ${minimum} or more, or receive fewer messages per batch ` +
        '(formula: minimumVisibilityTimeoutSeconds in src/worker/preflight.ts).',
    },
  ];
}

function awsErrorName(err: unknown): string {
  return err instanceof Error ? err.name : 'Error';
}

function isAccessDenied(name: string): boolean {
  return /AccessDenied|UnrecognizedClient|InvalidClientTokenId|SignatureDoesNotMatch|ExpiredToken/i.test(name);
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = 'code' in err && typeof err.code === 'string' ? ` ${err.code}` : '';
  return `${err.name}${code}: ${err.message || '(no message)'}`;
}

function safeJson<T>(text: string, schema: z.ZodType<T>): T | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
