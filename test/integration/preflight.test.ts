import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { createKinesisClient, createSqsClient } from '../../src/aws/clients';
import {
  minimumVisibilityTimeoutSeconds,
  preflight,
  PreflightError,
  type PreflightConfig,
  type PreflightProblemCode,
} from '../../src/worker/preflight';
import { createTestQueue, createTestStream, deleteTestQueue, deleteTestStream, emulatorClients } from '../helpers/aws';
import { uniqueName } from '../helpers/temporal';

/** The worker's start-up checks against the SQS and Kinesis emulators. */
jest.setTimeout(30_000);

describe('preflight', () => {
  const { sqs, kinesis } = emulatorClients();
  const region = process.env.AWS_REGION ?? 'us-east-1';
  let queueUrl: string;
  let dlqUrl: string;
  const streamName = uniqueName('preflight-events');

  beforeAll(async () => {
    dlqUrl = await createTestQueue(sqs, uniqueName('preflight-dlq'));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
    );
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({
        QueueName: uniqueName('preflight-submissions'),
        Attributes: {
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount: 5 }),
        },
      }),
    );
    if (!QueueUrl) throw new Error('no queue url');
    queueUrl = QueueUrl;
    await createTestStream(kinesis, streamName, 1);
  });
  afterAll(async () => {
    await deleteTestQueue(sqs, queueUrl);
    await deleteTestQueue(sqs, dlqUrl);
    await deleteTestStream(kinesis, streamName);
  });

  const config = (overrides: Partial<PreflightConfig> = {}): PreflightConfig => ({
    SQS_QUEUE_URL: queueUrl,
    KINESIS_STREAM_NAME: streamName,
    AWS_REGION: region,
    VISIBILITY_TIMEOUT_SECONDS: 120,
    RECEIVES_PER_BATCH: 5,
    MAX_NUMBER_OF_MESSAGES: 10,
    ...overrides,
  });

  /** The PreflightError a call throws (fails the test if it resolves). */
  async function problemsOf(promise: Promise<void>): Promise<{ codes: PreflightProblemCode[]; message: string }> {
    const err: unknown = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(err instanceof PreflightError)) throw new Error(`expected a PreflightError, got ${String(err)}`);
    return { codes: err.problems.map((p) => p.code), message: err.message };
  }

  it('passes for an existing queue with a dead-letter queue, an ACTIVE stream and a long enough timeout', async () => {
    const warnings: string[] = [];
    await expect(preflight(config(), { sqs, kinesis, warn: (m) => warnings.push(m) })).resolves.toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it('names a missing queue and says how to fix SQS_QUEUE_URL', async () => {
    // fauxqs knows queues only by the exact URL it handed out: the 127.0.0.1 form of a real queue is "missing" too.
    const wrongForm = queueUrl.replace(/sqs\.[^.]+\.localhost/, '127.0.0.1');
    for (const url of [queueUrl.replace(/[^/]+$/, uniqueName('no-such-queue')), wrongForm]) {
      const { codes, message } = await problemsOf(preflight(config({ SQS_QUEUE_URL: url }), { sqs, kinesis }));
      expect(codes).toEqual(['queue_missing']);
      expect(message).toContain(url);
      expect(message).toMatch(/does not exist.*Set SQS_QUEUE_URL/s);
    }
  });

  it('names a missing stream and says how to fix KINESIS_STREAM_NAME', async () => {
    const missing = uniqueName('no-such-stream');
    const { codes, message } = await problemsOf(preflight(config({ KINESIS_STREAM_NAME: missing }), { sqs, kinesis }));
    expect(codes).toEqual(['stream_missing']);
    expect(message).toMatch(new RegExp(`Kinesis stream ${missing} does not exist.*KINESIS_STREAM_NAME`, 's'));
  });

  it('reports every problem at once: missing queue, missing stream, too short a visibility timeout', async () => {
    const { codes, message } = await problemsOf(
      preflight(
        config({
          SQS_QUEUE_URL: queueUrl.replace(/[^/]+$/, uniqueName('no-such-queue')),
          KINESIS_STREAM_NAME: uniqueName('no-such-stream'),
          VISIBILITY_TIMEOUT_SECONDS: 20,
        }),
        { sqs, kinesis },
      ),
    );
    expect(codes).toEqual(['queue_missing', 'stream_missing', 'visibility_timeout_too_short']);
    expect(message).toMatch(/VISIBILITY_TIMEOUT_SECONDS=20 is too short .* set it to 45 or more/s);
  });

  it('says which service cannot be reached when an endpoint is down', async () => {
    const down = { AWS_REGION: region, AWS_ENDPOINT_URL: 'http://127.0.0.1:9' }; // discard port: nothing listens
    const { codes, message } = await problemsOf(
      preflight(config(), {
        sqs: createSqsClient(down, { requestTimeoutMs: 2_000 }),
        kinesis: createKinesisClient(down, { requestTimeoutMs: 2_000 }),
      }),
    );
    expect(codes).toEqual(['queue_unreachable', 'stream_unreachable']);
    expect(message).toMatch(/cannot reach SQS .*AWS_ENDPOINT_URL_SQS/);
    expect(message).toMatch(/cannot reach Kinesis .*AWS_ENDPOINT_URL_KINESIS/);
  });

  it('warns (without failing) about a queue that has no dead-letter queue', async () => {
    const bare = await createTestQueue(sqs, uniqueName('preflight-bare'));
    try {
      const warnings: string[] = [];
      await preflight(config({ SQS_QUEUE_URL: bare }), { sqs, kinesis, warn: (m) => warnings.push(m) });
      expect(warnings).toEqual([expect.stringMatching(/has no RedrivePolicy/)]);
    } finally {
      await deleteTestQueue(sqs, bare);
    }
  });

  it('sizes the visibility timeout by the batch receive: 45 s floor, growing with the receives, capped by its budget', () => {
    expect(minimumVisibilityTimeoutSeconds({ receivesPerBatch: 1, maxNumberOfMessages: 1 })).toBe(45);
    expect(minimumVisibilityTimeoutSeconds({ receivesPerBatch: 10, maxNumberOfMessages: 10 })).toBe(45);
    expect(minimumVisibilityTimeoutSeconds({ receivesPerBatch: 30, maxNumberOfMessages: 10 })).toBe(64);
    expect(minimumVisibilityTimeoutSeconds({ receivesPerBatch: 50, maxNumberOfMessages: 10 })).toBe(84);
    expect(minimumVisibilityTimeoutSeconds({ receivesPerBatch: 100, maxNumberOfMessages: 10 })).toBe(85);
    // The defaults (120 s for 50 × 10) pass with room to spare.
    expect(minimumVisibilityTimeoutSeconds({ receivesPerBatch: 50, maxNumberOfMessages: 10 })).toBeLessThan(120);
  });
});
