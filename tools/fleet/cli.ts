import { setTimeout as sleep } from 'node:timers/promises';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { createSqsClient, resolveQueueUrl } from './aws';
import {
  executeCommand,
  OperatorError,
  parseCommandLine,
  UsageError,
  PROCESS_IO,
  type CliIo,
} from '../../src/cli/shell';
import { loadEnvFiles } from '../../src/config/env-files';
import { createFleetGenerator, DEFAULT_LARGE_EVENTS, type FleetOptions, type PlannedSubmission } from './generate';
import { BROKEN_CLASSES, brokenClassSchema, partitionKeyFieldSchema } from './manifest';
import { BatchDispatcher, planBatches, toManifestEntry, type SendResult } from './send';

const HELP = `npm run fleet -- [options]   sensor-fleet simulator: sends submissions (docs/contract.md) to SQS

Modes (one of):
  --rate N            submissions per second (default 0.27, the original fleet), for --duration seconds
  --duration S        rate mode: stop after S seconds (default: until Ctrl-C)
  --total N           backlog mode: send N submissions as fast as possible

Load:
  --devices N         sensors with stable ids derived from the seed (default 10)
  --broken SHARE      share broken on purpose, 0..1 (default 0.096, the original fleet's)
  --broken-classes L  comma-separated subset of: ${BROKEN_CLASSES.join(', ')}
  --events-min N      events per type, minimum (default 3)
  --events-max N      events per type, maximum (default 5)
  --plain-json-share  share sent as raw JSON instead of base64 (default 0.1)
  --empty-share S     share of valid submissions with empty or missing event lists (default 0.05)
  --large-share S     share of valid submissions near the size limit, 0..1 (default 0)
  --large-events N    events in each near-limit submission (default 1000, the validator's default maximum)
  --oversized-bytes N raw JSON size of oversized_body submissions (default 262656 = 256 KiB + 512)
  --seed N            reproducible fleet (default: random, printed)

Output:
  --manifest PATH     JSON lines: one record per submission, for \`npm run verify\` (default: none)
  --queue-url URL     default: $SQS_QUEUE_URL
  --partition-key F   device_id (default) | submission_id: the key the product is configured to use, recorded
                      in the manifest for the verifier
  --concurrency N     SendMessageBatch requests in flight (default 8)
  --retries N         attempts for entries the queue failed on its side (default 3)
  --quiet             no progress line
  --help              this text; does nothing else
Exit codes: 0 all sent, 1 some sends failed (or an error), 2 usage error.
`;

const num = z.coerce.number().finite();
const argsSchema = z
  .object({
    help: z.boolean().default(false),
    quiet: z.boolean().default(false),
    rate: num.positive().optional(),
    duration: num.positive().optional(),
    total: z.coerce.number().int().min(0).optional(),
    devices: z.coerce.number().int().min(1).default(10),
    broken: num.min(0).max(1).default(0.096),
    'broken-classes': z
      .string()
      .transform((s) =>
        s
          .split(',')
          .map((c) => c.trim())
          .filter((c) => c !== ''),
      )
      .pipe(z.array(brokenClassSchema).min(1))
      .optional(),
    'events-min': z.coerce.number().int().min(0).default(3),
    'events-max': z.coerce.number().int().min(0).default(5),
    'plain-json-share': num.min(0).max(1).default(0.1),
    'empty-share': num.min(0).max(0.5).default(0.05),
    'oversized-bytes': z.coerce.number().int().min(1).optional(),
    'large-share': num.min(0).max(1).default(0),
    'large-events': z.coerce.number().int().min(1).default(DEFAULT_LARGE_EVENTS),
    seed: z.coerce.number().int().min(0).max(0xffffffff).optional(),
    manifest: z.string().min(1).optional(),
    'queue-url': z.url().optional(),
    'partition-key': partitionKeyFieldSchema.default('device_id'),
    concurrency: z.coerce.number().int().min(1).max(256).default(8),
    retries: z.coerce.number().int().min(0).max(20).default(3),
  })
  .refine((a) => a['events-max'] >= a['events-min'], { message: '--events-max must be >= --events-min' })
  .refine((a) => a.total === undefined || (a.rate === undefined && a.duration === undefined), {
    message: '--total (backlog mode) excludes --rate and --duration',
  });

const STRING_FLAGS = [
  'rate',
  'duration',
  'total',
  'devices',
  'broken',
  'broken-classes',
  'events-min',
  'events-max',
  'plain-json-share',
  'empty-share',
  'oversized-bytes',
  'large-share',
  'large-events',
  'seed',
  'manifest',
  'queue-url',
  'partition-key',
  'concurrency',
  'retries',
] as const;

function parseCli(argv: string[]): z.infer<typeof argsSchema> {
  const { values } = parseCommandLine(argv, {
    help: { type: 'boolean', short: 'h' },
    quiet: { type: 'boolean' },
    ...Object.fromEntries(STRING_FLAGS.map((f) => [f, { type: 'string' as const }])),
  });
  const parsed = argsSchema.safeParse(values);
  if (!parsed.success) throw new UsageError(`bad arguments:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

class ManifestWriter {
  private readonly stream: WriteStream | undefined;
  constructor(path: string | undefined) {
    if (!path) return;
    mkdirSync(dirname(path), { recursive: true });
    this.stream = createWriteStream(path, { flags: 'w' });
  }
  write(line: unknown): void {
    this.stream?.write(JSON.stringify(line) + '\n');
  }
  async close(): Promise<void> {
    const stream = this.stream;
    if (!stream) return;
    await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}

async function run(argv: string[]): Promise<number> {
  const args = parseCli(argv);
  loadEnvFiles();
  const configuredQueueUrl = args['queue-url'] ?? process.env.SQS_QUEUE_URL;
  if (!configuredQueueUrl) throw new OperatorError('no queue: pass --queue-url or set SQS_QUEUE_URL');
  const sqs = createSqsClient();
  const queueUrl = await resolveQueueUrl(sqs, configuredQueueUrl);
  const seed = args.seed ?? Math.floor(Math.random() * 0xffffffff);
  const fleetOptions: FleetOptions = {
    seed,
    devices: args.devices,
    brokenShare: args.broken,
    eventsMin: args['events-min'],
    eventsMax: args['events-max'],
    plainJsonShare: args['plain-json-share'],
    emptyShare: args['empty-share'],
    startTimeMs: Date.now(),
    ...(args['broken-classes'] ? { brokenClasses: args['broken-classes'] } : {}),
    ...(args['oversized-bytes'] ? { oversizedBytes: args['oversized-bytes'] } : {}),
    largeShare: args['large-share'],
    largeEvents: args['large-events'],
  };
  const generator = createFleetGenerator(fleetOptions);
  const backlog = args.total !== undefined;
  const rate = args.rate ?? 0.27;
  const total = args.total ?? (args.duration !== undefined ? Math.floor(rate * args.duration) : Infinity);
  process.stderr.write(
    `fleet: seed=${seed} devices=${args.devices} queue=${queueUrl} mode=${backlog ? `backlog total=${total}` : `rate=${rate}/s total=${total}`}\n`,
  );

  const manifest = new ManifestWriter(args.manifest);
  manifest.write({ kind: 'header', createdAt: new Date().toISOString(), queueUrl, seed, options: { ...args, seed } });
  const failures: SendResult[] = [];
  const brokenByClass = new Map<string, number>();
  const dispatcher = new BatchDispatcher(sqs, {
    queueUrl,
    concurrency: args.concurrency,
    retries: args.retries,
    onResult: (r) => {
      manifest.write(toManifestEntry(r, args['partition-key']));
      if (!r.ok) {
        failures.push(r);
        if (failures.length <= 10)
          process.stderr.write(`\nsend failed (seq ${r.planned.seq}): ${r.code}: ${r.message}\n`);
      } else if (r.planned.status === 'broken') {
        brokenByClass.set(r.planned.brokenClass, (brokenByClass.get(r.planned.brokenClass) ?? 0) + 1);
      }
    },
  });

  let stopping = false;
  process.once('SIGINT', () => {
    stopping = true;
    process.stderr.write('\nfleet: stopping, draining in-flight batches\n');
  });
  const startedAt = Date.now();
  const progress = (): string => {
    const s = dispatcher.stats;
    const elapsed = (Date.now() - startedAt) / 1000;
    return `sent ${s.sent} (valid ${s.sentValid}, broken ${s.sentBroken}, events ${s.events})  failed ${s.failed}  ${(s.sent / Math.max(elapsed, 0.001)).toFixed(1)}/s  ${elapsed.toFixed(1)}s`;
  };
  const ticker = args.quiet
    ? undefined
    : setInterval(
        () =>
          process.stderr.write((process.stderr.isTTY ? '\r' : '') + progress() + (process.stderr.isTTY ? '' : '\n')),
        1000,
      );

  let produced = 0;
  const take = (n: number): PlannedSubmission[] => {
    const out: PlannedSubmission[] = [];
    while (out.length < n && produced < total) {
      out.push(generator.next());
      produced++;
    }
    return out;
  };
  if (backlog) {
    while (!stopping && produced < total) {
      for (const batch of planBatches(take(10 * args.concurrency))) await dispatcher.dispatch(batch);
    }
  } else {
    while (!stopping && produced < total) {
      const due = Math.floor(((Date.now() - startedAt) / 1000) * rate) + 1 - produced;
      if (due > 0) for (const batch of planBatches(take(due))) await dispatcher.dispatch(batch);
      else await sleep(Math.min(200, 1000 / rate));
    }
  }
  await dispatcher.drain();
  if (ticker) clearInterval(ticker);
  await manifest.close();

  const s = dispatcher.stats;
  process.stderr.write(`\n${progress()}\n`);
  const summary = {
    seed,
    queueUrl,
    manifest: args.manifest ?? null,
    sent: s.sent,
    valid: s.sentValid,
    broken: s.sentBroken,
    expectedEvents: s.events,
    failed: s.failed,
    failedByCode: Object.fromEntries(
      [...new Set(failures.map((f) => (f.ok ? '' : f.code)))].map((c) => [
        c,
        failures.filter((f) => !f.ok && f.code === c).length,
      ]),
    ),
    brokenByClass: Object.fromEntries([...brokenByClass.entries()].sort()),
    seconds: (Date.now() - startedAt) / 1000,
  };
  process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  return s.failed > 0 ? 1 : 0;
}

/** The whole command as a function (tests call it in-process); exit code as the result. */
export function runFleetCli(argv: string[], io: CliIo = PROCESS_IO): Promise<number> {
  return executeCommand(HELP, run, argv, io);
}

if (require.main === module) {
  void runFleetCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
