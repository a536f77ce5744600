import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { createKinesisClient, createSqsClient, resolveQueueUrl } from '../fleet/aws';
import {
  executeCommand,
  OperatorError,
  parseCommandLine,
  UsageError,
  PROCESS_IO,
  type CliIo,
} from '../../src/cli/shell';
import { loadEnvFiles } from '../../src/config/env-files';
import { readManifest } from '../fleet/manifest';
import { formatReport, judge } from './judge';
import { readQueueDepth } from './queue-depth';
import { waitForSettled } from './wait';

const HELP = `npm run verify -- --manifest PATH [options]   proves a fleet run end to end

Reads every shard of the stream, matches records to the fleet's manifest and checks: no lost event, exact fields
and types (docs/contract.md), time_created a real UTC instant between the send and the record's arrival on the stream
and one per delivery of a submission, one shard and increasing sequence numbers per submission, unique event ids, no
event of a broken submission, no unexpected record, queue empty, dead-letter queue empty (a redrive policy hides
undelivered telemetry there). It fails when no submission could be judged (an empty manifest, or everything still in
flight) and when a shard could not be read to its tip (Kinesis kept answering empty while reporting it behind).

  --manifest PATH          the fleet's manifest (required)
  --stream NAME            default: $KINESIS_STREAM_NAME
  --queue-url URL          default: $SQS_QUEUE_URL
  --since ISO              read from this instant (AT_TIMESTAMP) instead of TRIM_HORIZON
  --in-flight              on a running system: events of submissions sent in the last --grace seconds may still be
                           queued; they count as in_flight, not lost (implies --no-queue-check)
  --grace S                --in-flight's window (default 600: a few schedule intervals plus a run's duration)
  --wait                   poll until the queue is drained and the stream stops growing
  --timeout S              --wait gives up after S seconds (default 300)
  --settle S               the stream has stopped growing after S quiet seconds (default 5)
  --poll-interval S        seconds between polls (default 1)
  --allow-duplicates       fault mode: same-id duplicates are counted, not a violation
  --allow-unexpected       records matching no manifest entry are counted, not a violation (a copy of an expected
                           event under another event_id still fails)
  --allow-extra-fields L   comma-separated provenance fields the product was configured to add
  --partition-key K        manifest (default: as the fleet recorded) | device_id | submission_id | any
  --clock-skew-ms N        tolerance for "time_created not before sentAt, not after the arrival on the stream"
                           (default 0)
  --no-queue-check         do not require the queue to be empty
  --dlq-url URL            dead-letter queue that must be empty (default: $SQS_DLQ_URL, else $SQS_DLQ_NAME next to the
                           queue)
  --no-dlq-check           do not check the dead-letter queue
  --report PATH            also write the report as JSON
  --quiet                  no progress lines
  --help                   this text; does nothing else
Exit codes: 0 PASS, 1 FAIL (or an error), 2 usage error.
`;

const argsSchema = z.object({
  help: z.boolean().default(false),
  quiet: z.boolean().default(false),
  manifest: z.string().min(1).optional(),
  stream: z.string().min(1).optional(),
  'queue-url': z.url().optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  wait: z.boolean().default(false),
  'in-flight': z.boolean().default(false),
  grace: z.coerce.number().min(0).default(600),
  timeout: z.coerce.number().positive().default(300),
  settle: z.coerce.number().min(0).default(5),
  'poll-interval': z.coerce.number().positive().default(1),
  'allow-duplicates': z.boolean().default(false),
  'allow-unexpected': z.boolean().default(false),
  'allow-extra-fields': z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((f) => f.trim())
        .filter((f) => f !== ''),
    )
    .optional(),
  'partition-key': z.enum(['manifest', 'device_id', 'submission_id', 'any']).default('manifest'),
  'clock-skew-ms': z.coerce.number().int().min(0).default(0),
  'no-queue-check': z.boolean().default(false),
  'dlq-url': z.url().optional(),
  'no-dlq-check': z.boolean().default(false),
  report: z.string().min(1).optional(),
});

function parseCli(argv: string[]): z.infer<typeof argsSchema> {
  const { values } = parseCommandLine(argv, {
    help: { type: 'boolean', short: 'h' },
    quiet: { type: 'boolean' },
    wait: { type: 'boolean' },
    'in-flight': { type: 'boolean' },
    grace: { type: 'string' },
    'allow-duplicates': { type: 'boolean' },
    'allow-unexpected': { type: 'boolean' },
    'no-queue-check': { type: 'boolean' },
    'no-dlq-check': { type: 'boolean' },
    'dlq-url': { type: 'string' },
    manifest: { type: 'string' },
    stream: { type: 'string' },
    'queue-url': { type: 'string' },
    since: { type: 'string' },
    timeout: { type: 'string' },
    settle: { type: 'string' },
    'poll-interval': { type: 'string' },
    'allow-extra-fields': { type: 'string' },
    'partition-key': { type: 'string' },
    'clock-skew-ms': { type: 'string' },
    report: { type: 'string' },
  });
  const parsed = argsSchema.safeParse(values);
  if (!parsed.success) throw new UsageError(`bad arguments:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

async function run(argv: string[]): Promise<number> {
  const args = parseCli(argv);
  if (!args.manifest) throw new UsageError('--manifest is required');
  loadEnvFiles();
  const streamName = args.stream ?? process.env.KINESIS_STREAM_NAME;
  if (!streamName) throw new OperatorError('no stream: pass --stream or set KINESIS_STREAM_NAME');
  const configuredQueueUrl = args['queue-url'] ?? process.env.SQS_QUEUE_URL;
  // A running system's queue is never empty: in-flight mode judges the stream, not the queue.
  const queueCheck = !args['no-queue-check'] && !args['in-flight'];
  if (queueCheck && !configuredQueueUrl) {
    throw new OperatorError('no queue: pass --queue-url, set SQS_QUEUE_URL, or --no-queue-check');
  }
  const sqs = createSqsClient();
  const queueUrl = queueCheck && configuredQueueUrl ? await resolveQueueUrl(sqs, configuredQueueUrl) : undefined;

  const dlqUrl = args['no-dlq-check'] ? undefined : await deadLetterQueueUrl(sqs, args['dlq-url'], configuredQueueUrl);

  const manifestPath = args.manifest;
  // With --wait the fleet may still be writing the manifest: read it once the stream has settled.
  const early = args.wait ? undefined : readManifest(manifestPath);
  const outcome = await waitForSettled(createKinesisClient(), streamName, {
    ...(queueUrl ? { sqs, queueUrl } : {}),
    ...(args.since ? { since: new Date(args.since) } : {}),
    wait: args.wait,
    timeoutMs: args.timeout * 1000,
    settleMs: args.settle * 1000,
    pollIntervalMs: args['poll-interval'] * 1000,
    onPoll: ({ records, queue, elapsedMs }) => {
      if (args.quiet || !args.wait) return;
      const q = queue
        ? `queue visible ${queue.visible} in-flight ${queue.notVisible} delayed ${queue.delayed}`
        : 'queue unchecked';
      process.stderr.write(`verify: ${(elapsedMs / 1000).toFixed(0)}s records ${records}  ${q}\n`);
    },
  });
  const { submissions, sendFailed } = early ?? readManifest(manifestPath);
  if (sendFailed.length > 0) {
    process.stderr.write(`verify: manifest lists ${sendFailed.length} submission(s) the queue refused; not judged\n`);
  }
  const deadLetterQueue = dlqUrl ? await readQueueDepth(sqs, dlqUrl) : undefined;
  const report = judge(submissions, outcome.records, {
    allowDuplicates: args['allow-duplicates'],
    allowUnexpected: args['allow-unexpected'],
    allowedExtraFields: args['allow-extra-fields'] ?? [],
    partitionKey: args['partition-key'],
    clockSkewMs: args['clock-skew-ms'],
    ...(outcome.queue ? { queue: outcome.queue } : {}),
    ...(deadLetterQueue ? { deadLetterQueue } : {}),
    ...(args['in-flight'] ? { inFlightSince: new Date(Date.now() - args.grace * 1000) } : {}),
    incompleteShards: outcome.incompleteShards,
  });
  const text = formatReport(report);
  process.stdout.write(
    `stream ${streamName}${args.since ? ` since ${args.since}` : ''}  queue ${queueCheck ? queueUrl : 'unchecked'}` +
      `  dlq ${dlqUrl ?? 'unchecked'}` +
      `${outcome.timedOut ? '  (TIMED OUT waiting to settle)' : ''}  ${(outcome.elapsedMs / 1000).toFixed(1)}s\n${text}\n`,
  );
  if (args.report) {
    mkdirSync(dirname(args.report), { recursive: true });
    writeFileSync(
      args.report,
      JSON.stringify(
        {
          streamName,
          queueUrl: queueCheck ? queueUrl : null,
          since: args.since ?? null,
          timedOut: outcome.timedOut,
          queue: outcome.queue ?? null,
          deadLetterQueueUrl: dlqUrl ?? null,
          deadLetterQueue: deadLetterQueue ?? null,
          ...report,
        },
        null,
        2,
      ) + '\n',
    );
  }
  return !report.ok || outcome.timedOut ? 1 : 0;
}

/**
 * The dead-letter queue to check: --dlq-url, else $SQS_DLQ_URL, else $SQS_DLQ_NAME in the queue's account (the local
 * stack's layout). Required unless --no-dlq-check: a verifier that silently skips it would pass while telemetry hides.
 */
async function deadLetterQueueUrl(
  sqs: SQSClient,
  flag: string | undefined,
  queueUrl: string | undefined,
): Promise<string> {
  const explicit = flag ?? process.env.SQS_DLQ_URL;
  const name = process.env.SQS_DLQ_NAME;
  const configured = explicit ?? (name && queueUrl ? new URL(name, queueUrl).toString() : undefined);
  if (!configured)
    throw new OperatorError('no dead-letter queue: pass --dlq-url, set SQS_DLQ_URL or SQS_DLQ_NAME, or --no-dlq-check');
  try {
    return await resolveQueueUrl(sqs, configured);
  } catch (err) {
    throw new OperatorError(
      `dead-letter queue ${configured}: ${err instanceof Error ? err.message : String(err)} (or --no-dlq-check)`,
    );
  }
}

/** The whole command as a function (tests call it in-process); exit code as the result. */
export function runVerifyCli(argv: string[], io: CliIo = PROCESS_IO): Promise<number> {
  return executeCommand(HELP, run, argv, io);
}

if (require.main === module) {
  void runVerifyCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
