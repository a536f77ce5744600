import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Runtime } from '@temporalio/worker';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { createPublishEvents } from '../../../activities/publish-events';
import {
  createPutRecordsBatcher,
  kinesisSender,
  type BatcherOptions,
  type SendPutRecords,
} from '../../../src/publish/put-records-batcher';
import type { ActivityDeps } from '../../../activities/deps';
import type { PublishResult } from '../../../src/contracts/batch-steps';
import type { HeldBatch, HeldMessage, MessageHold } from '../../../activities/message-hold';
import type { PutResultEntry } from '../../../src/publish/plan';
import { createKinesisClient } from '../../../src/aws/clients';
import { loadEnvFiles } from '../../../src/config/env-files';
import { deleteResources, openProbe } from '../stack';

/**
 * Where a publish round of the large mix spends its time (issue 25). Runs the real publish activity
 * (activities/publish-events.ts, in a MockActivityEnvironment) over `lanes` batches that share one PutRecords batcher,
 * each batch holding `large` submissions of `events` events and `small` of 6, and splits the wall time of the rounds
 * into time inside the sender (the PutRecords round trip) and time outside it (plan, batcher, promise hops, timers).
 *
 *   npx tsx tools/bench/experiments/large-rounds.ts <sender> [large=6] [events=900] [small=20] [lanes=2] [inFlight=1]
 *
 * sender: `instant` (answers in a microtask: the pure CPU cost per round), `immediate` (answers after a setImmediate),
 * `delay:N` (after N ms), `http` (the product's Kinesis client against an in-process server that answers at once:
 * the client's own cost per request), `kinesis` (kinesis-local through the product's client, in a fresh 2-shard stream: run it
 * under the stack lock), `meter` (only times a native metric counter's creation, as the activity does per round).
 */
async function main(): Promise<void> {
  const [senderName = 'instant', ...rest] = process.argv.slice(2);
  const [large = 6, events = 900, small = 20, lanes = 2, inFlight = 1, chains = 1] = rest.map(Number);
  if (senderName === 'meter') return meterCost();

  let cleanup = async (): Promise<void> => undefined;
  let base: SendPutRecords;
  let kinesis = {} as KinesisClient;
  if (senderName === 'kinesis') {
    loadEnvFiles();
    const probe = await openProbe('rounds');
    kinesis = probe.clients.kinesis;
    base = kinesisSender(kinesis, probe.resources.streamName);
    cleanup = () => deleteResources(probe.clients, probe.resources);
  } else if (senderName === 'http') {
    loadEnvFiles();
    const fake = await fakeKinesisServer();
    kinesis = createKinesisClient({
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL: undefined,
      AWS_ENDPOINT_URL_SQS: undefined,
      AWS_ENDPOINT_URL_KINESIS: fake.endpoint,
    });
    base = kinesisSender(kinesis, 'events');
    cleanup = () => fake.close();
  } else {
    base = fakeSender(senderName);
  }

  const timing = { requests: 0, entries: 0, inSendMs: 0, firstSendAt: 0, lastReturnAt: 0, gapsMs: [] as number[] };
  let inFlightNow = 0;
  let overlapped = 0;
  const send: SendPutRecords = async (entries) => {
    const t0 = performance.now();
    if (timing.firstSendAt === 0) timing.firstSendAt = t0;
    if (inFlightNow === 0 && timing.lastReturnAt > 0) timing.gapsMs.push(t0 - timing.lastReturnAt);
    if (inFlightNow > 0) overlapped += 1;
    inFlightNow += 1;
    try {
      return await base(entries);
    } finally {
      inFlightNow -= 1;
      const t1 = performance.now();
      timing.requests += 1;
      timing.entries += entries.length;
      timing.inSendMs += t1 - t0;
      timing.lastReturnAt = t1;
    }
  };
  const options: Partial<BatcherOptions> = { maxInFlight: inFlight };
  // chains > 1: the lanes' submissions split over that many batchers, whose requests overlap (disjoint submissions).
  const batchers = Array.from({ length: chains }, () => createPutRecordsBatcher(send, options));

  const batches = Array.from({ length: lanes }, (_, lane) => heldBatch(lane, large, events, small));
  const hold = {
    use: <T>(id: string, fn: (b: HeldBatch) => Promise<T>): Promise<T> => {
      const batch = batches.find((b) => b.id === id);
      if (!batch) throw new Error(`no batch ${id}`);
      return fn(batch);
    },
  } as unknown as MessageHold;
  const publishers = batchers.map((putRecordsBatcher) =>
    createPublishEvents({ kinesis, streamName: 'unused', hold, putRecordsBatcher } as unknown as ActivityDeps),
  );

  const started = performance.now();
  try {
    const results: PublishResult[] = await Promise.all(
      batches.map((b, lane) => {
        const publish = publishers[lane % chains] as (r: { batchId: string }) => Promise<PublishResult>;
        return new MockActivityEnvironment().run<[{ batchId: string }], PublishResult, typeof publish>(publish, {
          batchId: b.id,
        });
      }),
    );
    const wallMs = performance.now() - started;
    const published = results.reduce((sum, r) => sum + r.eventsPublished, 0);
    const rounds = timing.requests;
    const gaps = [...timing.gapsMs].sort((a, b) => a - b);
    const pct = (p: number): string => (gaps[Math.floor((gaps.length - 1) * p)] ?? 0).toFixed(3);
    console.log(
      `${senderName}: ${lanes} lanes × (${large} × ${events} + ${small} × 6 events), in flight ${inFlight}, ` +
        `${chains} chain(s) (${overlapped} requests sent beside another): ` +
        `${published} events, ${rounds} requests (${(timing.entries / rounds).toFixed(1)} entries each) in ` +
        `${wallMs.toFixed(0)} ms = ${(wallMs / rounds).toFixed(3)} ms per request; inside send ` +
        `${(timing.inSendMs / rounds).toFixed(3)} ms (wall of the requests, overlapping ones counted each), outside ` +
        `${((wallMs - timing.inSendMs) / rounds).toFixed(3)} ms; ` +
        `gap return→next send p50 ${pct(0.5)} p90 ${pct(0.9)} p99 ${pct(0.99)} ms; ${(published / (wallMs / 1000)).toFixed(0)} events/s`,
    );
  } finally {
    await cleanup();
  }
}

function fakeSender(name: string): SendPutRecords {
  let sequence = 0;
  const ack = (n: number): PutResultEntry[] =>
    Array.from({ length: n }, () => ({ SequenceNumber: String(++sequence), ShardId: 'shardId-000000000000' }));
  if (name === 'instant') return (entries) => Promise.resolve(ack(entries.length));
  if (name === 'immediate')
    return (entries) => new Promise((resolve) => setImmediate(() => resolve(ack(entries.length))));
  const delay = /^delay:(\d+(?:\.\d+)?)$/.exec(name);
  if (delay) {
    const ms = Number(delay[1]);
    return (entries) => new Promise((resolve) => setTimeout(() => resolve(ack(entries.length)), ms));
  }
  throw new Error(`unknown sender ${name}`);
}

/**
 * A stand-in for kinesis-local that answers PutRecords at once (no emulator work): what the product's client (AWS SDK,
 * keep-alive agent) costs per request on its own.
 */
async function fakeKinesisServer(): Promise<{ endpoint: string; close(): Promise<void> }> {
  let sequence = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Records: unknown[] };
      const out = JSON.stringify({
        FailedRecordCount: 0,
        Records: body.Records.map(() => ({ SequenceNumber: String(++sequence), ShardId: 'shardId-000000000000' })),
      });
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(out) });
      res.end(out);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A held batch as the validate step leaves it: `large` submissions of `events` events and `small` of 6. */
function heldBatch(lane: number, large: number, events: number, small: number): HeldBatch {
  const messages = new Map<string, HeldMessage>();
  const sizes = [...Array.from({ length: large }, () => events), ...Array.from({ length: small }, () => 6)];
  sizes.forEach((count, i) => {
    const messageId = `lane${lane}-m${i}`;
    const records = Array.from({ length: count }, (_, k) =>
      JSON.stringify({
        event_id: `${messageId}-${k}`,
        type: 'new_process',
        cmdl: `C:\\Windows\\System32\\cmd.exe /c echo ${'x'.repeat(150)} ${k}`,
        user: 'john',
        device_id: `device-${i % 10}`,
        time_created: '2026-12-07T00:00:00.000Z',
      }),
    );
    messages.set(messageId, {
      messageId,
      receiptHandle: `rh-${messageId}`,
      receivedAtMs: Date.now(),
      identityId: messageId,
      body: '',
      bodyBytes: 0,
      sentAtMs: Date.now(),
      receiveCount: 1,
      firstReceivedAtMs: null,
      validation: { valid: true, submission: { messageId, partitionKey: `device-${i % 10}`, records } },
    });
  });
  return { id: `batch-${lane}`, messages, progress: {}, stepProgress: new Map() };
}

/** The activity creates its metric counters per round through the runtime's meter: what one creation costs. */
function meterCost(): void {
  const meter = Runtime.instance().metricMeter;
  const n = 20_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) meter.createCounter('edr_events_published', '1', 'Events acknowledged by Kinesis').add(1);
  const perCall = ((performance.now() - t0) * 1000) / n;
  console.log(`createCounter + add: ${perCall.toFixed(1)} µs per call (the activity makes 2–3 per round)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
