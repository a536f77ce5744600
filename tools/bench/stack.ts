import { ListStreamsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { ListQueuesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { Connection } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createKinesisClient, createSqsClient } from '../../src/aws/clients';
import { createQueue, deleteQueue, deleteStream, ensureStream } from '../stack/aws-resources';
import { perSecond } from './stats';
import type { ConfigResult, CpuFigures } from './types';

const PROJECT_ROOT = resolve(__dirname, '..', '..');

export class StackNotUpError extends Error {
  override name = 'StackNotUpError';
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([
    p,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms).unref(),
    ),
  ]);

/** Fails with one message naming every service that does not answer (the benchmark never starts or stops them). */
export async function checkStack(
  clients: { sqs: SQSClient; kinesis: KinesisClient },
  temporalAddress: string,
): Promise<void> {
  const problems: string[] = [];
  await withTimeout(clients.sqs.send(new ListQueuesCommand({ MaxResults: 1 })), 5_000, 'SQS').catch((err: unknown) =>
    problems.push(`SQS emulator: ${String(err)}`),
  );
  await withTimeout(clients.kinesis.send(new ListStreamsCommand({ Limit: 1 })), 5_000, 'Kinesis').catch(
    (err: unknown) => problems.push(`Kinesis emulator: ${String(err)}`),
  );
  try {
    const connection = await withTimeout(Connection.connect({ address: temporalAddress }), 5_000, 'Temporal');
    await connection.close();
  } catch (err) {
    problems.push(`Temporal at ${temporalAddress}: ${String(err)}`);
  }
  if (problems.length > 0) {
    throw new StackNotUpError(
      `the local stack is not up (start it with \`npm run stack\`):\n  ${problems.join('\n  ')}`,
    );
  }
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export interface BenchResources {
  queueUrl: string;
  streamName: string;
  taskQueue: string;
}

/** A fresh queue and a 2-shard stream per configuration, so runs never see each other's messages or records. */
export async function createResources(
  clients: { sqs: SQSClient; kinesis: KinesisClient },
  label: string,
  shards = 2,
): Promise<BenchResources> {
  const id = uniqueName(`bench-${label}`);
  const queueUrl = await createQueue(clients.sqs, `${id}-submissions`, { VisibilityTimeout: '120' });
  const streamName = `${id}-events`;
  await ensureStream(clients.kinesis, streamName, shards);
  return { queueUrl, streamName, taskQueue: `${id}-tq` };
}

export async function deleteResources(
  clients: { sqs: SQSClient; kinesis: KinesisClient },
  r: BenchResources,
): Promise<void> {
  await deleteQueue(clients.sqs, r.queueUrl);
  await deleteStream(clients.kinesis, r.streamName);
}

const CLOCK_TICKS_PER_SECOND = 100;

/** utime + stime of a process in ms, from /proc (Linux); NaN when it is gone or not readable. */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

export function processRssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** The stack's service pids from `.stack/pids/<name>.pid` (`<pid> <port> <marker>`), read-only. */
export function servicePids(
  stackDir = resolve(PROJECT_ROOT, process.env.STACK_DIR ?? '.stack'),
): Record<string, number> {
  const dir = resolve(stackDir, 'pids');
  if (!existsSync(dir)) return {};
  const out: Record<string, number> = {};
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.pid')) continue;
    const pid = Number(readFileSync(resolve(dir, file), 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(pid) && pid > 0) out[file.replace(/\.pid$/, '')] = pid;
  }
  return out;
}

export interface ResourceUsage {
  wallMs: number;
  workerCpuMs: number;
  peakRssMb: number;
  services: Record<string, number>;
}

/** The CPU figures every configuration reports, per event of its load. */
export function cpuFigures(usage: ResourceUsage, events: number): CpuFigures {
  return {
    workerCpuMs: usage.workerCpuMs,
    cpuPerEventUs: events > 0 ? (usage.workerCpuMs * 1000) / events : NaN,
    peakRssMb: usage.peakRssMb,
    services: usage.services,
  };
}

/** What every backlog configuration reports of its load: counts, rates over the measured window, and CPU. */
export function loadFigures(
  submissions: number,
  events: number,
  usage: ResourceUsage,
  durationMs: number,
): Pick<ConfigResult, 'submissions' | 'events' | 'durationMs' | 'submissionsPerSec' | 'eventsPerSec' | 'cpu'> {
  return {
    submissions,
    events,
    durationMs,
    submissionsPerSec: perSecond(submissions, durationMs),
    eventsPerSec: perSecond(events, durationMs),
    cpu: cpuFigures(usage, events),
  };
}

/**
 * Measures CPU and peak RSS of this process, extra worker processes and the local services over a window. RSS is
 * sampled (every 200 ms) so the figure is the window's peak, not the process lifetime's.
 */
export class ResourceMeter {
  private readonly startedAt = Date.now();
  private readonly selfStart = process.cpuUsage();
  private readonly extraStart = new Map<number, number>();
  private readonly serviceStart = new Map<string, number>();
  private peakRssMb = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly extraPids: readonly number[] = [],
    private readonly services: Record<string, number> = servicePids(),
  ) {
    for (const pid of extraPids) this.extraStart.set(pid, processCpuMs(pid));
    for (const [name, pid] of Object.entries(services)) this.serviceStart.set(name, processCpuMs(pid));
    this.sample();
    this.timer = setInterval(() => this.sample(), 200);
    this.timer.unref();
  }

  private sample(): void {
    const rss =
      process.memoryUsage().rss / (1024 * 1024) + this.extraPids.reduce((s, p) => s + (processRssMb(p) || 0), 0);
    this.peakRssMb = Math.max(this.peakRssMb, rss);
  }

  stop(): ResourceUsage {
    this.sample();
    clearInterval(this.timer);
    const wallMs = Date.now() - this.startedAt;
    const self = process.cpuUsage(this.selfStart);
    let workerCpuMs = (self.user + self.system) / 1000;
    for (const [pid, start] of this.extraStart) {
      const now = processCpuMs(pid);
      if (Number.isFinite(now) && Number.isFinite(start)) workerCpuMs += now - start;
    }
    const services: Record<string, number> = {};
    for (const [name, start] of this.serviceStart) {
      const pid = this.services[name];
      const now = pid === undefined ? NaN : processCpuMs(pid);
      services[name] = Number.isFinite(now) && wallMs > 0 ? (now - start) / wallMs : NaN;
    }
    return { wallMs, workerCpuMs, peakRssMb: this.peakRssMb, services };
  }
}

/**
 * The Kinesis emulator's clock against ours. kinesis-local stamps ApproximateArrivalTimestamp from its own runtime
 * clock, which was seen running 12 s behind the wall clock on these VMs (it drifts, e.g. after the VM is paused), so
 * raw verifier latencies can even come out negative. A probe record on a separate stream measures the offset
 * (arrival − midpoint of our request; median of a few), and latencies are corrected by it.
 */
export class ArrivalClock {
  private seq = 0;
  private constructor(
    private readonly kinesis: KinesisClient,
    readonly streamName: string,
  ) {}

  static async create(clients: {
    sqs: SQSClient;
    kinesis: KinesisClient;
  }): Promise<{ clock: ArrivalClock; resources: BenchResources }> {
    const resources = await createResources(clients, 'clock', 1);
    return { clock: new ArrivalClock(clients.kinesis, resources.streamName), resources };
  }

  async offsetMs(samples = 3): Promise<number> {
    const { PutRecordsCommand, GetShardIteratorCommand, GetRecordsCommand } = await import('@aws-sdk/client-kinesis');
    const offsets: number[] = [];
    for (let i = 0; i < samples; i++) {
      const id = String(this.seq++);
      const before = Date.now();
      const out = await this.kinesis.send(
        new PutRecordsCommand({
          StreamName: this.streamName,
          Records: [{ Data: Buffer.from(id), PartitionKey: 'clock' }],
        }),
      );
      const after = Date.now();
      const entry = out.Records?.[0];
      if (!entry?.SequenceNumber || !entry.ShardId) continue;
      const it = await this.kinesis.send(
        new GetShardIteratorCommand({
          StreamName: this.streamName,
          ShardId: entry.ShardId,
          ShardIteratorType: 'AT_SEQUENCE_NUMBER',
          StartingSequenceNumber: entry.SequenceNumber,
        }),
      );
      const page = await this.kinesis.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator, Limit: 1 }));
      const arrival = page.Records?.[0]?.ApproximateArrivalTimestamp;
      if (arrival) offsets.push(arrival.getTime() - (before + after) / 2);
    }
    offsets.sort((a, b) => a - b);
    return offsets[Math.floor(offsets.length / 2)] ?? 0;
  }
}

/** The emulator clients from the environment and a fresh queue and stream, for the probes in experiments/. */
export async function openProbe(label: string) {
  const config = {
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    AWS_ENDPOINT_URL: process.env.AWS_ENDPOINT_URL,
    AWS_ENDPOINT_URL_SQS: process.env.AWS_ENDPOINT_URL_SQS,
    AWS_ENDPOINT_URL_KINESIS: process.env.AWS_ENDPOINT_URL_KINESIS,
  };
  const clients = { sqs: createSqsClient(config), kinesis: createKinesisClient(config) };
  return { clients, resources: await createResources(clients, label) };
}
