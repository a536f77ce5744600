import {
  KinesisClient,
  type ServiceInputTypes as KinesisInput,
  type ServiceOutputTypes as KinesisOutput,
} from '@aws-sdk/client-kinesis';
import { SQSClient, type ServiceInputTypes, type ServiceOutputTypes } from '@aws-sdk/client-sqs';
import { createActivities, MessageHold, type PipelineActivities } from '../../activities';
import { DEFAULT_VALIDATION_LIMITS } from '../../src/domain/limits';

/**
 * A real SQSClient whose chosen command is answered by a handler before anything reaches the network: unit tests
 * keep the SDK's command objects while deciding exactly which entries fail.
 */
/** Client settings for stubs: nothing is ever sent to this endpoint. */
const OFFLINE = {
  region: 'us-east-1',
  endpoint: 'http://127.0.0.1:9',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  maxAttempts: 1,
};

export function stubbedSqs(
  commandName: string,
  handler: (input: ServiceInputTypes, call: number) => ServiceOutputTypes | Promise<ServiceOutputTypes>,
): { sqs: SQSClient; calls: () => number } {
  const sqs = new SQSClient(OFFLINE);
  let calls = 0;
  sqs.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== commandName) return next(args);
      return { output: await handler(args.input, calls++), response: {} };
    },
    { step: 'initialize', name: 'stubbedSqs' },
  );
  return { sqs, calls: () => calls };
}

/** A KinesisClient whose every command is answered by `handler` (by command name); nothing reaches the network. */
export function stubbedKinesis(handler: (commandName: string, input: KinesisInput) => KinesisOutput): KinesisClient {
  const kinesis = new KinesisClient(OFFLINE);
  kinesis.middlewareStack.add(
    (_next, context) => async (args) => ({ output: handler(context.commandName ?? '', args.input), response: {} }),
    { step: 'initialize', name: 'stubbedKinesis' },
  );
  return kinesis;
}

/**
 * The product's activities over a stubbed SQS client (Kinesis never contacted), with fast per-entry retries, and the
 * hold they keep batches in (close it after the test: its leases are timers).
 */
export function activitiesOverSqs(sqs: SQSClient): PipelineActivities & { hold: MessageHold } {
  const queueUrl = 'http://127.0.0.1:9/000000000000/q';
  const hold = new MessageHold({ sqs, queueUrl }, { maxBytes: 64 * 1024 * 1024, idleReleaseMs: 60_000 });
  const activities = createActivities({
    sqs,
    kinesis: new KinesisClient({ region: 'us-east-1' }),
    queueUrl,
    streamName: 's',
    limits: DEFAULT_VALIDATION_LIMITS,
    retry: { initialBackoffMs: 1, maxBackoffMs: 2, maxRoundsWithoutProgress: 3 },
    hold,
  });
  return { ...activities, hold };
}
