import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Config } from '../config/environment';

type AwsConfig = Pick<Config, 'AWS_REGION' | 'AWS_ENDPOINT_URL' | 'AWS_ENDPOINT_URL_SQS' | 'AWS_ENDPOINT_URL_KINESIS'>;

export interface AwsClientOptions {
  /** Upper bound on one HTTP request, so a hung emulator or network turns into a retry instead of a stuck activity. */
  requestTimeoutMs?: number;
  maxSockets?: number;
}

// Keep-alive agents: a busy worker makes many small requests, and a new TCP (and TLS) handshake per request costs more
// than the request itself. An explicit NodeHttpHandler also forces HTTP/1.1, which the Kinesis emulator needs
// (its HTTP/2 path fails with the JS SDK).
function httpHandler(options: AwsClientOptions): NodeHttpHandler {
  const maxSockets = options.maxSockets ?? 64;
  return new NodeHttpHandler({
    httpAgent: new Agent({ keepAlive: true, maxSockets }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
    connectionTimeout: 5_000,
    // Above SQS's longest long poll (20 s). Without throwOnRequestTimeout the handler only logs a warning when it
    // elapses and a hung response holds the activity until its heartbeat timeout (seen in the chaos suite).
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    throwOnRequestTimeout: true,
  });
}

/** Retries are ours (activity retry policies and per-entry retries); SDK retries would hide them from the UI. */
function clientConfig(config: AwsConfig, endpoint: string | undefined, options: AwsClientOptions) {
  return {
    region: config.AWS_REGION,
    endpoint: endpoint ?? config.AWS_ENDPOINT_URL,
    requestHandler: httpHandler(options),
    maxAttempts: 1,
  };
}

export function createSqsClient(config: AwsConfig, options: AwsClientOptions = {}): SQSClient {
  return new SQSClient(clientConfig(config, config.AWS_ENDPOINT_URL_SQS, options));
}

export function createKinesisClient(config: AwsConfig, options: AwsClientOptions = {}): KinesisClient {
  return new KinesisClient(clientConfig(config, config.AWS_ENDPOINT_URL_KINESIS, options));
}
