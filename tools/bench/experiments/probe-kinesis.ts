import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { loadEnvFiles } from '../../../src/config/env-files';
import { deleteResources, openProbe } from '../stack';

/**
 * Bottleneck probe for the Kinesis emulator: PutRecords of a fixed size into a fresh 2-shard stream, timing every
 * request, to see whether a request's cost depends on its size, on how many records the stream already holds
 * (`prefill`, put untimed first) and on how many requests are in flight at once.
 * `npx tsx tools/bench/experiments/probe-kinesis.ts [recordsPerRequest=500] [requests=30] [prefill=0] [inFlight=1]`
 */
async function main(): Promise<void> {
  loadEnvFiles();
  const perRequest = Number(process.argv[2] ?? 500);
  const requests = Number(process.argv[3] ?? 30);
  const prefill = Number(process.argv[4] ?? 0);
  const inFlight = Math.max(1, Number(process.argv[5] ?? 1));
  const { clients, resources: r } = await openProbe('probe');
  const timings: number[] = [];
  let elapsedMs = 0;
  try {
    for (let done = 0; done < prefill; done += 500)
      await put(clients.kinesis, r.streamName, Math.min(500, prefill - done));
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < requests) {
          next += 1;
          const t0 = performance.now();
          await put(clients.kinesis, r.streamName, perRequest);
          timings.push(performance.now() - t0);
        }
      }),
    );
    elapsedMs = performance.now() - started;
  } finally {
    await deleteResources(clients, r);
  }
  const fmt = (xs: number[]): string => xs.map((x) => x.toFixed(0)).join(' ');
  const sorted = [...timings].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  console.log(
    `${requests} × PutRecords(${perRequest}), ${inFlight} in flight, after ${prefill} records: ` +
      `${((requests * perRequest * 1000) / elapsedMs).toFixed(0)} records/s, ${((requests * 1000) / elapsedMs).toFixed(0)} requests/s; ` +
      `median ${median.toFixed(0)} ms per request; first 5: ${fmt(timings.slice(0, 5))}; last 5: ${fmt(timings.slice(-5))}`,
  );
}

/** Records shaped like the product's events (~200 bytes), spread over 10 partition keys. */
async function put(kinesis: KinesisClient, streamName: string, count: number): Promise<void> {
  const data = Buffer.from(JSON.stringify({ type: 'new_process', cmdl: 'x'.repeat(200), user: 'john' }));
  await kinesis.send(
    new PutRecordsCommand({
      StreamName: streamName,
      Records: Array.from({ length: count }, (_, j) => ({ Data: data, PartitionKey: `device-${j % 10}` })),
    }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
