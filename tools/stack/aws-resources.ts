// The one way to create and remove queues and streams on the emulators (or AWS): the local stack
// (scripts/lib/aws-stack.ts), the test helpers, chaos and the history recorder all call these.
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';

export type Log = (message: string) => void;

const errorText = (err: unknown): string =>
  err instanceof Error ? `${err.name}: ${err.message}` : typeof err === 'string' ? err : JSON.stringify(err);
const errorName = (err: unknown): string => (err instanceof Error ? err.name : '');

/** Retries `attempt` until it returns a value other than undefined or the deadline passes (bounded poll). */
export async function pollUntil<T>(what: string, timeoutMs: number, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer yet';
  for (let delay = 100; ; delay = Math.min(delay * 2, 1_000)) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
      lastError = 'condition not met yet';
    } catch (err) {
      lastError = errorText(err);
    }
    if (Date.now() + delay > deadline) throw new Error(`${what}: not ready after ${timeoutMs} ms (${lastError})`);
    await sleep(delay);
  }
}

// ---------------------------------------------------------------------------------------------------------------- SQS
/** Creates the queue (CreateQueue answers the existing URL when the attributes match) and returns its URL. */
export async function createQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string> = {},
): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!QueueUrl) throw new Error(`no queue url for ${name}`);
  return QueueUrl;
}

export async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  if (!Attributes?.QueueArn) throw new Error(`no ARN for ${queueUrl}`);
  return Attributes.QueueArn;
}

async function existingQueueUrl(sqs: SQSClient, name: string): Promise<string | undefined> {
  try {
    return (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  } catch (err) {
    if (/QueueDoesNotExist|NonExistentQueue/.test(errorName(err))) return undefined;
    throw err;
  }
}

/**
 * The queue exists with these attributes afterwards, whether it existed before or not: a queue left by an earlier
 * stack with other attributes (CreateQueue would refuse it) is updated in place.
 */
export async function ensureQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string>,
  log: Log = () => undefined,
): Promise<{ url: string; arn: string; created: boolean }> {
  const existing = await existingQueueUrl(sqs, name);
  const url = existing ?? (await createQueue(sqs, name, attributes));
  const current: Record<string, string | undefined> =
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes ?? {};
  const drift = Object.fromEntries(Object.entries(attributes).filter(([k, v]) => current[k] !== v));
  if (Object.keys(drift).length > 0) {
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: drift }));
    log(`queue ${name}: updated ${Object.keys(drift).join(', ')}`);
  }
  const arn = current.QueueArn;
  if (!arn) throw new Error(`no QueueArn for ${name}`);
  return { url, arn, created: existing === undefined };
}

/** Best effort: a queue already gone (or an emulator already stopped) is not a failure of the caller's cleanup. */
export async function deleteQueue(sqs: SQSClient, queueUrl: string): Promise<void> {
  await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
}

// ------------------------------------------------------------------------------------------------------------ Kinesis
export async function streamStatus(
  kinesis: KinesisClient,
  name: string,
): Promise<{ status: string; shards: number } | null> {
  try {
    const s = (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary;
    return { status: s?.StreamStatus ?? 'UNKNOWN', shards: s?.OpenShardCount ?? 0 };
  } catch (err) {
    if (errorName(err) === 'ResourceNotFoundException') return null;
    throw err;
  }
}

/**
 * The stream exists and is ACTIVE afterwards (a stream is CREATING for a while and refuses records until then).
 * An existing stream keeps its shard count: resharding is not a bootstrap's job, so a mismatch is only logged.
 */
export async function ensureStream(
  kinesis: KinesisClient,
  name: string,
  shards: number,
  { timeoutMs = 30_000, log = () => undefined }: { timeoutMs?: number; log?: Log } = {},
): Promise<void> {
  const current = await streamStatus(kinesis, name);
  if (current === null) {
    try {
      await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
      log(`stream ${name}: creating with ${shards} shards`);
    } catch (err) {
      if (errorName(err) !== 'ResourceInUseException') throw err; // created concurrently: fine
    }
  } else if (current.status === 'ACTIVE' && current.shards !== shards) {
    log(`WARNING: stream ${name} exists with ${current.shards} open shards, wanted ${shards}`);
  }
  const t0 = Date.now();
  const active = await pollUntil(`stream ${name} ACTIVE`, timeoutMs, async () => {
    const s = await streamStatus(kinesis, name);
    return s?.status === 'ACTIVE' ? s : undefined;
  });
  log(`stream ${name}: ACTIVE with ${active.shards} open shards (waited ${Date.now() - t0} ms)`);
}

/** Best effort, like deleteQueue; consumers are removed with the stream. */
export async function deleteStream(kinesis: KinesisClient, name: string): Promise<void> {
  await kinesis
    .send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true }))
    .catch(() => undefined);
}
