import { KinesisClient } from '@aws-sdk/client-kinesis';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { z } from 'zod';

// The fleet's and verifier's own AWS clients: independent of the product's, so a client misconfiguration in the
// product cannot hide in both.

const awsEnvSchema = z.object({
  AWS_REGION: z.string().min(1).default('us-east-1'),
  AWS_ENDPOINT_URL: z.url().optional(),
  AWS_ENDPOINT_URL_SQS: z.url().optional(),
  AWS_ENDPOINT_URL_KINESIS: z.url().optional(),
  AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
  AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  AWS_SESSION_TOKEN: z.string().min(1).optional(),
});
export type AwsEnv = z.infer<typeof awsEnvSchema>;

export function readAwsEnv(env: NodeJS.ProcessEnv = process.env): AwsEnv {
  const blankToUndefined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = awsEnvSchema.safeParse(blankToUndefined);
  if (!parsed.success) throw new Error(`bad AWS environment: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

function credentials(env: AwsEnv): { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined {
  if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY) return undefined;
  return {
    accessKeyId: env.AWS_ACCESS_KEY_ID,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
  };
}

export function createSqsClient(env: AwsEnv = readAwsEnv()): SQSClient {
  return new SQSClient({
    region: env.AWS_REGION,
    endpoint: env.AWS_ENDPOINT_URL_SQS ?? env.AWS_ENDPOINT_URL,
    credentials: credentials(env),
  });
}

export function createKinesisClient(env: AwsEnv = readAwsEnv()): KinesisClient {
  return new KinesisClient({
    region: env.AWS_REGION,
    endpoint: env.AWS_ENDPOINT_URL_KINESIS ?? env.AWS_ENDPOINT_URL,
    credentials: credentials(env),
    // kinesis-local's plain-HTTP port speaks HTTP/1.1 only; the SDK's default HTTP/2 handler fails against it.
    requestHandler: new NodeHttpHandler(),
  });
}

/**
 * The queue's canonical URL, looked up by the name in `queueUrl`'s last path segment. fauxqs matches QueueUrl
 * character for character against the URL it minted (http://sqs.<region>.localhost:<port>/...), so a configured
 * http://127.0.0.1:9324/000000000000/<name> answers QueueDoesNotExist; AWS accepts either form.
 */
export async function resolveQueueUrl(sqs: SQSClient, queueUrl: string): Promise<string> {
  const name = new URL(queueUrl).pathname
    .split('/')
    .filter((s) => s !== '')
    .pop();
  if (!name) throw new Error(`no queue name in ${queueUrl}`);
  const out = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  return out.QueueUrl ?? queueUrl;
}
