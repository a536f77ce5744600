import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { createKinesisClient, createSqsClient } from '../../src/aws-clients';
import { loadEnvFiles } from '../../src/env-files';
import { createResources, deleteResources } from './stack';

/**
 * Bottleneck probe for the Kinesis emulator: sequential PutRecords of a fixed size into a fresh 2-shard stream, timing
 * every request, to see whether a request's cost depends on its size and on how many records the stream holds.
 * `npx tsx tools/bench/probe-kinesis.ts [recordsPerRequest=500] [requests=30]`
 */
async function main(): Promise<void> {
  loadEnvFiles();
  const perRequest = Number(process.argv[2] ?? 500);
  const requests = Number(process.argv[3] ?? 30);
  const config = {
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    AWS_ENDPOINT_URL: process.env.AWS_ENDPOINT_URL,
    AWS_ENDPOINT_URL_SQS: process.env.AWS_ENDPOINT_URL_SQS,
    AWS_ENDPOINT_URL_KINESIS: process.env.AWS_ENDPOINT_URL_KINESIS,
  };
  const clients = { sqs: createSqsClient(config), kinesis: createKinesisClient(config) };
  const r = await createResources(clients, 'probe');
  const data = Buffer.from(JSON.stringify({ type: 'new_process', cmdl: 'x'.repeat(200), user: 'john' }));
  const timings: number[] = [];
  try {
    for (let i = 0; i < requests; i++) {
      const started = performance.now();
      await clients.kinesis.send(
        new PutRecordsCommand({
          StreamName: r.streamName,
          Records: Array.from({ length: perRequest }, (_, j) => ({ Data: data, PartitionKey: `device-${j % 10}` })),
        }),
      );
      timings.push(performance.now() - started);
    }
  } finally {
    await deleteResources(clients, r);
  }
  const fmt = (xs: number[]): string => xs.map((x) => x.toFixed(0)).join(' ');
  const total = timings.reduce((a, b) => a + b, 0);
  console.log(
    `${requests} × PutRecords(${perRequest}) : ${((requests * perRequest * 1000) / total).toFixed(0)} records/s; ` +
      `ms per request, first 5: ${fmt(timings.slice(0, 5))}; last 5: ${fmt(timings.slice(-5))}`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
