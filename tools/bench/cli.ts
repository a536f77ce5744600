import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { dataConverterFromEnv } from '../../src/codec/data-converter';
import { bundleWorkflows } from '../../src/temporal/workflow-bundle';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { configSchema } from '../../src/config/environment';
import { drainInputSchema, type DrainInput, type DrainInputOverrides } from '../../workflows/drain-input';
import {
  executeCommand,
  OperatorError,
  parseCommandLine,
  UsageError,
  PROCESS_IO,
  type CliIo,
} from '../../src/cli/shell';
import { durationToMs } from '../../src/config/duration';
import { loadEnvFiles } from '../../src/config/env-files';
import { createKinesisClient, createSqsClient, readAwsEnv } from '../fleet/aws';
import type { PlannedSubmission } from '../fleet/generate';
import { expectedEvents, planLargeLoad, planLoad, preload, verifyRun, verifyWithClock } from './load';
import { createPutRecordsBatcher, kinesisSender } from '../../src/publish/put-records-batcher';
import { runRawLoop } from './raw-loop';
import { ratioLines, renderConsoleTable, renderMarkdown, renderSvg, tableRows, verifiedRatio } from './render';
import { prepareSinkLoad, runSink } from './sink';
import {
  ArrivalClock,
  checkStack,
  createResources,
  deleteResources,
  loadFigures,
  ResourceMeter,
  StackNotUpError,
  type BenchResources,
} from './stack';
import { pairRatios } from './pairs';
import { median } from './stats';
import { runSteady } from './steady';
import { productClients, runTemporalBacklog, type TemporalContext } from './temporal-run';
import type { BenchReport, ConfigResult, SteadyResult } from './types';

const PROJECT_ROOT = resolve(__dirname, '..', '..');
// Results are measurements, not source: they go to the git-ignored test-output/ (docs/benchmark.md keeps the figures).
const DEFAULT_OUT = resolve(PROJECT_ROOT, 'test-output', 'bench');

export const CONFIG_NAMES = [
  'sink',
  'lanes-1',
  'lanes-2',
  'lanes-4',
  'lanes-8',
  'raw',
  'workers-2',
  'large',
  'steady',
] as const;
type ConfigName = (typeof CONFIG_NAMES)[number];

/** The product's default lane count: the large mix is measured where an operator runs it without tuning. */
const PRODUCT_LANES = drainInputSchema.shape.lanes.parse(undefined);

/** The product's default schedule interval: steady mode measures what an operator gets without tuning. */
const PRODUCT_INTERVAL_SEC = durationToMs(configSchema.shape.SCHEDULE_INTERVAL.parse(undefined)) / 1000;

const HELP = `npm run bench -- [options]   throughput, latency and cost of the pipeline on the running local stack

Backlog mode preloads N submissions (the original fleet's mix: ~9.6 % broken, 3–5 events of each type) into a fresh
queue and drains it into a fresh 2-shard stream; steady mode sends at a fixed rate under the real Schedule. Every
configuration ends with the verifier. Results: test-output/bench/<timestamp>.{json,md,svg} and latest.{md,svg}.

  --quick                 smoke run: 150 submissions, lanes 1 and 4, raw, sink, 2 workers, 15 s of steady load
  --submissions N         backlog size per configuration (default 1500)
  --configs LIST          comma-separated subset of: ${CONFIG_NAMES.join(', ')} (default: all)
  --seed N                fleet seed (default 20261128): every configuration gets the same load
  --receives-per-batch N  run input receivesPerBatch (default: the product's, 50)
  --workers-lanes N       lanes for raw and workers-2 (default: the best lane count measured, else 4)
  --pairs N               measure the raw/Temporal comparison N times (default 3), alternating which goes first;
                          the ratio reported is the median of the pairs' ratios (needs raw and its lanes-N)
  --steady-rate R         submissions/s in steady mode; 0: an idle queue, for actions per hour (default: half
                          the best measured backlog rate)
  --steady-seconds S      steady mode: measured duration (default 60)
  --steady-warmup S       steady mode: seconds of load before it, verified but not in the latency percentiles
                          (a fresh worker and stream pay their first requests once; default 10, --quick 3)
  --steady-burst N        steady mode: send N submissions together every N/R seconds (default 1: each at its
                          own time, as sensors do; 10: every batch arrives at once)
  --schedule-interval S   steady mode schedule interval in seconds (default: the product's, ${PRODUCT_INTERVAL_SEC})
  --steady-input JSON     steady mode run input overrides, e.g. '{"mode":"drain"}' (default: the product's input)
  --large-share S         large mix: share of valid submissions near the size limit (default 0.2)
  --large-events N        large mix: events in each of them (default 900)
  --large-submissions N   large mix: submissions (default: as many as make the ordinary load's event count)
  --large-lanes N         large mix: lanes, also of the ordinary run it is compared with (default: the product's, ${PRODUCT_LANES})
  --out DIR               results directory (default test-output/bench)
  --help                  this text; does nothing else
Exit codes: 0 every configuration verified, 1 a failure (or the stack is not up), 2 usage error.
`;

const argsSchema = z.object({
  help: z.boolean().default(false),
  quick: z.boolean().default(false),
  submissions: z.coerce.number().int().min(10).max(100_000).optional(),
  configs: z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((c) => c.trim())
        .filter((c) => c !== ''),
    )
    .pipe(z.array(z.enum(CONFIG_NAMES)).min(1))
    .optional(),
  seed: z.coerce.number().int().default(20261128),
  'receives-per-batch': z.coerce.number().int().min(1).max(100).optional(),
  'workers-lanes': z.coerce.number().int().min(1).max(64).optional(),
  pairs: z.coerce.number().int().min(1).max(9).default(3),
  'steady-seconds': z.coerce.number().int().min(5).max(3600).optional(),
  'steady-warmup': z.coerce.number().int().min(0).max(600).optional(),
  'steady-burst': z.coerce.number().int().min(1).max(10).default(1),
  'steady-rate': z.coerce.number().min(0).optional(),
  'schedule-interval': z.coerce.number().int().min(1).max(300).default(PRODUCT_INTERVAL_SEC),
  'steady-input': z
    .string()
    .transform((text, ctx) => {
      try {
        const parsed: unknown = JSON.parse(text);
        return parsed;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON' });
        return z.NEVER;
      }
    })
    .pipe(drainInputSchema.partial())
    .optional(),
  'large-share': z.coerce.number().gt(0).max(1).default(0.2),
  'large-events': z.coerce.number().int().min(1).max(10_000).default(900),
  'large-submissions': z.coerce.number().int().min(1).max(100_000).optional(),
  'large-lanes': z.coerce.number().int().min(1).max(64).default(PRODUCT_LANES),
  out: z.string().default(DEFAULT_OUT),
});
export type BenchArgs = z.infer<typeof argsSchema>;

export class BenchUsageError extends UsageError {
  override name = 'BenchUsageError';
}

export function parseBenchArgs(argv: string[]): BenchArgs {
  const { values } = parseCommandLine(argv, {
    help: { type: 'boolean', short: 'h' },
    quick: { type: 'boolean' },
    submissions: { type: 'string' },
    configs: { type: 'string' },
    seed: { type: 'string' },
    'receives-per-batch': { type: 'string' },
    'workers-lanes': { type: 'string' },
    pairs: { type: 'string' },
    'steady-rate': { type: 'string' },
    'steady-seconds': { type: 'string' },
    'steady-warmup': { type: 'string' },
    'steady-burst': { type: 'string' },
    'schedule-interval': { type: 'string' },
    'steady-input': { type: 'string' },
    'large-share': { type: 'string' },
    'large-events': { type: 'string' },
    'large-submissions': { type: 'string' },
    'large-lanes': { type: 'string' },
    out: { type: 'string' },
  });
  const parsed = argsSchema.safeParse(values);
  if (!parsed.success) throw new BenchUsageError(`bad options: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

const laneName = (lanes: number): string => `temporal ${lanes} lane${lanes > 1 ? 's' : ''}`;

const log = (line: string): void => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);

function timestamp(d: Date): string {
  return d
    .toISOString()
    .replace(/[:.]/g, '-')
    .replace(/-\d{3}Z$/, 'Z');
}

/** What this run measures, from the options: which configurations, how much load, which run input. */
interface BenchPlan {
  args: BenchArgs;
  selected: Set<ConfigName>;
  submissions: number;
  steadySeconds: number;
  steadyWarmupSeconds: number;
  /** The run input overrides the options set (passed to every Temporal run). */
  input: DrainInputOverrides;
  /** The same input with the product's defaults filled in (the raw loop's, and the report's). */
  baseInput: DrainInput;
}

function planBench(args: BenchArgs): BenchPlan {
  const input: DrainInputOverrides = {
    ...(args['receives-per-batch'] ? { receivesPerBatch: args['receives-per-batch'] } : {}),
  };
  return {
    args,
    selected: new Set<ConfigName>(
      args.configs ??
        (args.quick ? ['sink', 'lanes-1', 'lanes-4', 'raw', 'workers-2', 'large', 'steady'] : CONFIG_NAMES),
    ),
    submissions: args.submissions ?? (args.quick ? 150 : 1500),
    steadySeconds: args['steady-seconds'] ?? (args.quick ? 15 : 60),
    steadyWarmupSeconds: args['steady-warmup'] ?? (args.quick ? 3 : 10),
    input,
    baseInput: drainInputSchema.parse(input),
  };
}

/** The running local stack as the configurations use it, and what must be closed afterwards. */
interface OpenStack {
  ctx: TemporalContext;
  connection: Connection;
  clockResources: BenchResources;
  startedAt: Date;
  loadAtStart: number[];
}

/** Checks the stack is up (the bench never starts it), bundles the workflows, connects, measures the emulator clock. */
async function openStack(): Promise<OpenStack> {
  const awsEnv = readAwsEnv();
  const clients = { sqs: createSqsClient(awsEnv), kinesis: createKinesisClient(awsEnv) };
  const temporalAddress = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  await checkStack(clients, temporalAddress);

  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const startedAt = new Date();
  const loadAtStart = loadavg();
  log(`stack is up; load average ${loadAtStart.map((x) => x.toFixed(2)).join(' ')}; bundling workflows`);
  const bundle = await bundleWorkflows();
  // Histories of runs near the continue-as-new suggestion exceed gRPC's default 4 MiB receive limit.
  const connection = await Connection.connect({
    address: temporalAddress,
    channelArgs: { 'grpc.max_receive_message_length': 128 * 1024 * 1024 },
  });
  const nativeConnection = await NativeConnection.connect({ address: temporalAddress });
  const { clock, resources: clockResources } = await ArrivalClock.create(clients);
  log(`Kinesis emulator clock offset: ${(await clock.offsetMs()).toFixed(0)} ms (latencies are corrected by it)`);
  const ctx: TemporalContext = {
    client: new Client({ connection, namespace, dataConverter: dataConverterFromEnv() }),
    connection: nativeConnection,
    bundle,
    clients,
    aws: {
      region: awsEnv.AWS_REGION,
      sqsEndpoint: awsEnv.AWS_ENDPOINT_URL_SQS ?? awsEnv.AWS_ENDPOINT_URL,
      kinesisEndpoint: awsEnv.AWS_ENDPOINT_URL_KINESIS ?? awsEnv.AWS_ENDPOINT_URL,
    },
    temporalAddress,
    namespace,
    clock,
  };
  return { ctx, connection, clockResources, startedAt, loadAtStart };
}

async function closeStack(stack: OpenStack): Promise<void> {
  await deleteResources(stack.ctx.clients, stack.clockResources);
  await stack.connection.close();
  await stack.ctx.connection.close();
}

/** The configurations' shared state: later configurations size themselves from what earlier ones measured. */
interface BenchRun {
  ctx: TemporalContext;
  plan: BenchPlan;
  /** The ordinary load every backlog configuration drains. */
  planned: readonly PlannedSubmission[];
  events: number;
  /** Backlog results in the order they were measured. */
  backlog: ConfigResult[];
}

function record(run: BenchRun, result: ConfigResult): void {
  run.backlog.push(result);
  log(
    `${result.name}: ${result.eventsPerSec.toFixed(0)} events/s, ${result.submissionsPerSec.toFixed(1)} subs/s, ` +
      `p95 ${result.latencyMs?.p95 ?? '–'} ms, ${result.temporal ? `${result.temporal.actionsPer1000Events?.toFixed(1)} actions/1k events, ` : ''}` +
      `verify ${result.verify.detail.split('\n')[0]}`,
  );
  if (!result.verify.ok) console.error(result.verify.detail);
}

/** A fresh queue and stream for one configuration, removed afterwards whatever happens. */
async function withResources<T>(run: BenchRun, label: string, measure: (r: BenchResources) => Promise<T>): Promise<T> {
  const r = await createResources(run.ctx.clients, label);
  try {
    return await measure(r);
  } finally {
    await deleteResources(run.ctx.clients, r);
  }
}

/** The sink ceiling: the records alone, straight to Kinesis. */
async function runSinkCeiling(run: BenchRun): Promise<void> {
  const lanes = run.plan.args['workers-lanes'] ?? 4;
  record(run, await withResources(run, 'sink', (r) => runSinkConfig(run.ctx, r.streamName, run.planned, lanes)));
}

/** One worker at each selected lane count. */
async function runLaneConfigs(run: BenchRun): Promise<void> {
  for (const lanes of [1, 2, 4, 8] as const) {
    const name = `lanes-${lanes}` as const;
    if (!run.plan.selected.has(name)) continue;
    log(`${name}: preloading and draining`);
    record(
      run,
      await withResources(run, name, (r) =>
        runTemporalBacklog(run.ctx, r, run.planned, {
          name: laneName(lanes),
          lanes,
          workers: 1,
          input: run.plan.input,
        }),
      ),
    );
  }
}

/** The fastest verified single-worker Temporal configuration so far. */
function bestSingleWorker(backlog: readonly ConfigResult[]): ConfigResult | undefined {
  return [...backlog]
    .filter((c) => c.kind === 'temporal' && c.verify.ok)
    .sort((a, b) => b.eventsPerSec - a.eventsPerSec)[0];
}

const WARM_UP_SUBMISSIONS = 300;

/**
 * One untimed pass of each side over a small load before anything is measured, its figures discarded. Otherwise the
 * first run of a bench process alone pays for compiling the code both sides share (domain, publish plan, batcher, AWS
 * clients), which favours whichever side runs second.
 */
async function warmUpBothSides(run: BenchRun): Promise<void> {
  log(`warm-up: one untimed Temporal and raw pass over ${WARM_UP_SUBMISSIONS} submissions (figures discarded)`);
  const planned = run.planned.slice(0, WARM_UP_SUBMISSIONS);
  const lanes = run.plan.args['workers-lanes'] ?? 2;
  await withResources(run, 'warm-up', (r) =>
    runTemporalBacklog(run.ctx, r, planned, { name: 'warm-up', lanes, workers: 1, input: run.plan.input }),
  );
  await withResources(run, 'warm-up', (r) => runRawConfig(run.ctx, r, planned, { ...run.plan.baseInput, lanes }));
}

/** The raw loop without Temporal, at the lanes it is compared with. */
async function runRawBaseline(run: BenchRun, lanes: number): Promise<void> {
  log(`raw loop at ${lanes} lanes`);
  const input = { ...run.plan.baseInput, lanes };
  record(run, await withResources(run, 'raw', (r) => runRawConfig(run.ctx, r, run.planned, input)));
}

/**
 * Further raw/Temporal pairs at the same lanes, alternating which of the two goes first: the emulators drift during a
 * session (kinesis-local gets slower as it holds more data), and a drift that favours whoever runs first cancels out
 * of the median ratio.
 */
async function runExtraPairs(run: BenchRun, lanes: number): Promise<void> {
  for (let pair = 2; pair <= run.plan.args.pairs; pair++) {
    const temporal = async (): Promise<void> => {
      log(`pair ${pair}: ${laneName(lanes)}`);
      record(
        run,
        await withResources(run, `lanes-${lanes}`, async (r) => ({
          ...(await runTemporalBacklog(run.ctx, r, run.planned, {
            name: `${laneName(lanes)} #${pair}`,
            lanes,
            workers: 1,
            input: run.plan.input,
          })),
          pair,
        })),
      );
    };
    const raw = async (): Promise<void> => {
      log(`pair ${pair}: raw loop at ${lanes} lanes`);
      const input = { ...run.plan.baseInput, lanes };
      record(
        run,
        await withResources(run, 'raw', async (r) => ({
          ...(await runRawConfig(run.ctx, r, run.planned, input)),
          pair,
        })),
      );
    };
    const order = pair % 2 === 0 ? [raw, temporal] : [temporal, raw];
    for (const measure of order) await measure();
  }
}

async function runTwoWorkers(run: BenchRun, lanes: number): Promise<void> {
  log(`2 workers at ${lanes} lanes (second worker: a separate \`src/worker.ts\` process)`);
  record(
    run,
    await withResources(run, 'workers2', (r) =>
      runTemporalBacklog(run.ctx, r, run.planned, {
        name: `temporal ${lanes} lanes × 2 workers`,
        lanes,
        workers: 2,
        input: run.plan.input,
      }),
    ),
  );
}

/**
 * The large-submission mix beside the ordinary mix at the same lanes, both in this run: the ordinary figure is the
 * lanes-N configuration when it ran, else measured here first.
 */
async function runLargeMix(run: BenchRun): Promise<{ ordinary: ConfigResult; large: ConfigResult }> {
  const { args, input } = run.plan;
  const lanes = args['large-lanes'];
  const mix = { share: args['large-share'], events: args['large-events'] };
  const isOrdinary = (c: ConfigResult): boolean =>
    c.kind === 'temporal' && c.workers === 1 && c.lanes === lanes && !c.largeMix;
  let ordinary = run.backlog.find(isOrdinary);
  if (!ordinary) {
    log(`large mix: measuring the ordinary mix at ${lanes} lanes first, for the comparison`);
    const result = await withResources(run, `lanes-${lanes}`, (r) =>
      runTemporalBacklog(run.ctx, r, run.planned, { name: laneName(lanes), lanes, workers: 1, input }),
    );
    record(run, result);
    ordinary = result;
  }
  const largeLoad = planLargeLoad(
    args.seed,
    mix,
    args['large-submissions'] ? { count: args['large-submissions'] } : { targetEvents: run.events },
  );
  log(
    `large mix: ${largeLoad.length} submissions, ${Math.round(mix.share * 100)} % of the valid ones with ` +
      `${mix.events} events, ${expectedEvents(largeLoad)} events, ${lanes} lanes`,
  );
  const large = await withResources(run, 'large', (r) =>
    runTemporalBacklog(run.ctx, r, largeLoad, {
      name: `large mix ${Math.round(mix.share * 100)} % × ${mix.events} events, ${laneName(lanes)}`,
      lanes,
      workers: 1,
      input,
      largeMix: mix,
    }),
  );
  record(run, large);
  log(
    `large mix: ${large.eventsPerSec.toFixed(0)} events/s vs ${ordinary.eventsPerSec.toFixed(0)} for the ordinary ` +
      `mix (${(large.eventsPerSec / ordinary.eventsPerSec).toFixed(2)}×, target ≥ 0.8×)`,
  );
  return { ordinary, large };
}

/** Steady mode under the real Schedule, by default at half the backlog capacity measured. */
async function runSteadyMode(run: BenchRun, capacity: number | undefined): Promise<SteadyResult> {
  const { args, input, steadySeconds, steadyWarmupSeconds: warmupSec } = run.plan;
  const rate = args['steady-rate'] ?? (capacity ? capacity / 2 : 20);
  const steadyPlanned = planLoad(args.seed + 1, Math.round(rate * (warmupSec + steadySeconds)));
  log(
    `steady: ${rate.toFixed(1)} submissions/s${args['steady-burst'] > 1 ? ` in bursts of ${args['steady-burst']}` : ''} for ${warmupSec} s of warm-up and ${steadySeconds} s measured, schedule every ${args['schedule-interval']} s`,
  );
  const steady = await withResources(run, 'steady', (r) =>
    runSteady(run.ctx, r, steadyPlanned, {
      ratePerSec: rate,
      durationSec: steadySeconds,
      warmupSec,
      burst: args['steady-burst'],
      scheduleIntervalSec: args['schedule-interval'],
      input: { ...input, ...args['steady-input'] },
    }),
  );
  log(
    `steady: lag p50 ${steady.latencyMs?.p50 ?? '–'} p95 ${steady.latencyMs?.p95 ?? '–'} p99 ${steady.latencyMs?.p99 ?? '–'} ms max ${steady.latencyMs?.max ?? '–'} ms (emulator arrival p50 ${steady.tailer?.arrivalLatencyMs?.p50 ?? '–'} p99 ${steady.tailer?.arrivalLatencyMs?.p99 ?? '–'} ms; tailer delay p50 ${steady.tailer?.delayMs?.p50 ?? '–'} p99 ${steady.tailer?.delayMs?.p99 ?? '–'} ms; with warm-up p99 ${steady.tailer?.withWarmupMs?.p99 ?? '–'} max ${steady.tailer?.withWarmupMs?.max ?? '–'} ms) over ${steady.runs} runs (gaps ${steady.runGapsMs.join(', ') || '–'} ms), ${steady.actionsPer1000Events?.toFixed(1) ?? '–'} actions/1k events, ${steady.actionsPerHour.toFixed(0)} actions/h; verify ${steady.verify.detail.split('\n')[0]}`,
  );
  if (!steady.verify.ok) console.error(steady.verify.detail);
  return steady;
}

/** Everything measured, and the configurations the ratios compare. */
interface Measured {
  backlog: ConfigResult[];
  steady: SteadyResult | null;
  large?: { ordinary: ConfigResult; large: ConfigResult };
  /** The Temporal configuration compared with raw and sink: the one at raw's lanes, else the fastest. */
  best?: ConfigResult;
  raw?: ConfigResult;
  sink?: ConfigResult;
}

/** Runs the selected configurations in order: sink, lanes, raw and 2 workers (at the best lanes), large, steady. */
async function runSelectedConfigs(ctx: TemporalContext, plan: BenchPlan): Promise<Measured> {
  const planned = planLoad(plan.args.seed, plan.submissions);
  const events = expectedEvents(planned);
  log(
    `load: ${plan.submissions} submissions (${planned.filter((p) => p.status === 'valid').length} valid), ${events} events`,
  );
  const run: BenchRun = { ctx, plan, planned, events, backlog: [] };
  const { selected } = plan;

  if (selected.has('sink')) await runSinkCeiling(run);
  const lanesSelected = [...selected].some((name) => name.startsWith('lanes-'));
  if (selected.has('raw') && lanesSelected) await warmUpBothSides(run);
  await runLaneConfigs(run);
  const bestSingle = bestSingleWorker(run.backlog);
  const pairLanes = plan.args['workers-lanes'] ?? bestSingle?.lanes ?? 4;
  if (selected.has('raw')) await runRawBaseline(run, pairLanes);
  if (selected.has('raw') && run.backlog.some((c) => c.kind === 'temporal' && c.lanes === pairLanes)) {
    await runExtraPairs(run, pairLanes);
  }
  if (selected.has('workers-2')) await runTwoWorkers(run, pairLanes);
  const large = selected.has('large') ? await runLargeMix(run) : undefined;

  const raw = run.backlog.find((c) => c.kind === 'raw');
  const sink = run.backlog.find((c) => c.kind === 'sink');
  const sameLanes = run.backlog.find(
    (c) => c.kind === 'temporal' && c.workers === 1 && c.lanes === raw?.lanes && c.pair === undefined && !c.largeMix,
  );
  const best = sameLanes ?? bestSingle;
  const steady = selected.has('steady')
    ? await runSteadyMode(run, best?.submissionsPerSec ?? raw?.submissionsPerSec)
    : null;
  return { backlog: run.backlog, steady, large, best, raw, sink };
}

/** The configurations whose verifier failed: their figures are not results. */
function failedConfigs(m: Measured): string[] {
  return [
    ...m.backlog.filter((c) => !c.verify.ok).map((c) => c.name),
    ...(m.steady && !m.steady.verify.ok ? ['steady'] : []),
  ];
}

/** How the figures were measured, as the report states it. */
function reportNotes(plan: BenchPlan, failed: readonly string[]): string[] {
  const notes = [
    'Throughput is submissions (or events) divided by the time from the run start to its completion; a run ends ' +
      `after a receive comes back empty (long poll ${plan.baseInput.receiveWaitSeconds} s), the raw loop likewise.`,
    'Latency is send time → Kinesis ApproximateArrivalTimestamp, per event, from the verifier, corrected by the ' +
      'emulator clock offset (kinesis-local stamps arrivals with its own runtime clock, seen 12 s behind the wall ' +
      'clock on this VM; measured with a probe record before and after each run, see clockOffsetMs in the JSON). ' +
      'In backlog mode it includes the time a message waited in the preloaded queue, so it grows with N.',
    'Actions: workflow starts + activity attempts + timers + signals + upserts + child starts + local-activity tasks, ' +
      'read from every run of the continue-as-new chain; "+heartbeats" adds the estimated heartbeat actions ' +
      '(a batch step sends none under 10 s, then one per 24 s). Steady mode adds one Schedule action per scheduled run.',
    'The 2-worker configuration runs one worker in the benchmark process and a second as `node --import tsx ' +
      'src/worker.ts` (the deployed entry point); CPU and RSS are summed over both. "kinesis/temporal cores" are the ' +
      "emulator processes' CPU seconds per wall second over the run.",
    `The machine has ${cpus().length} cores shared by the emulators, the Temporal dev server, the worker(s) and other ` +
      "engineers' tests: absolute figures are noisy, ratios within one run are the result.",
  ];
  if (failed.length > 0) notes.push(`VERIFICATION FAILED for: ${failed.join(', ')} — their figures are not results.`);
  return notes;
}

function buildReport(plan: BenchPlan, stack: OpenStack, m: Measured): BenchReport {
  const { best, raw, sink, large } = m;
  const vsRawPairs = best && raw ? pairRatios(m.backlog, best) : [];
  return {
    startedAt: stack.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
      memoryGb: totalmem() / 1024 ** 3,
      node: process.version,
      loadAverageAtStart: stack.loadAtStart,
    },
    options: {
      submissions: plan.submissions,
      seed: plan.args.seed,
      configs: [...plan.selected],
      steadySeconds: plan.steadySeconds,
      input: plan.baseInput,
      freeMemGbAtStart: freemem() / 1024 ** 3,
    },
    backlog: m.backlog,
    steady: m.steady,
    ratios: {
      best: best?.name ?? null,
      vsRaw: vsRawPairs.length > 0 ? median(vsRawPairs) : null,
      vsRawPairs,
      // A configuration that failed verification has figures but no ratio (verifiedRatio).
      vsSink: best ? verifiedRatio(best, sink) : null,
      rawVsSink: raw ? verifiedRatio(raw, sink) : null,
      ...(large ? { largeVsOrdinary: verifiedRatio(large.large, large.ordinary) } : {}),
    },
    notes: reportNotes(plan, failedConfigs(m)),
  };
}

/** Parse the options → open the running stack → run each selected configuration → write and print the report. */
async function main(argv: string[]): Promise<number> {
  const plan = planBench(parseBenchArgs(argv));
  loadEnvFiles();
  const stack = await openStack();
  try {
    const measured = await runSelectedConfigs(stack.ctx, plan);
    const report = buildReport(plan, stack, measured);
    await writeOutputs(report, plan.args.out);
    console.log('\n' + renderConsoleTable(tableRows(report)));
    console.log(ratioLines(report).join('\n'));
    return failedConfigs(measured).length > 0 ? 1 : 0;
  } finally {
    await closeStack(stack);
  }
}

/** Generated JSON and Markdown are written as Prettier would, so `npm run lint` (prettier --check .) stays green. */
async function formatted(text: string, file: string): Promise<string> {
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(text, { ...options, filepath: file });
}

async function writeOutputs(report: BenchReport, outDir: string): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const ts = timestamp(new Date(report.startedAt));
  const base = resolve(outDir, ts);
  const benchDir = DEFAULT_OUT;
  const write = async (file: string, text: string): Promise<void> => writeFileSync(file, await formatted(text, file));
  await write(`${base}.json`, JSON.stringify(report, null, 2));
  writeFileSync(`${base}.svg`, renderSvg(report) + '\n');
  await write(`${base}.md`, renderMarkdown(report, `${ts}.svg`));
  // Only runs into the default results directory are "the latest" (a run with --out is an experiment).
  if (resolve(outDir) === DEFAULT_OUT) {
    copyFileSync(`${base}.svg`, resolve(benchDir, 'latest.svg'));
    await write(resolve(benchDir, 'latest.md'), renderMarkdown(report, 'latest.svg'));
  }
  log(`wrote ${base}.{json,md,svg}${resolve(outDir) === DEFAULT_OUT ? ', latest.md and latest.svg beside them' : ''}`);
}

async function runSinkConfig(
  ctx: TemporalContext,
  streamName: string,
  planned: readonly PlannedSubmission[],
  concurrency: number,
): Promise<ConfigResult> {
  const load = prepareSinkLoad(planned);
  const { kinesis } = productClients(ctx);
  const meter = new ResourceMeter();
  const startedAt = Date.now();
  const { putRecordsRequests } = await runSink(kinesis, streamName, load.records, concurrency);
  const durationMs = Date.now() - startedAt;
  const usage = meter.stop();
  const events = expectedEvents(planned);
  const { figures } = await verifyRun(ctx.clients, load.submissions, streamName, null);
  return {
    name: `sink ceiling (${concurrency} in flight)`,
    kind: 'sink',
    lanes: concurrency,
    workers: 0,
    validSubmissions: load.records.length,
    ...loadFigures(planned.length, events, usage, durationMs),
    latencyMs: null,
    putRecordsRequests,
    verify: figures,
  };
}

async function runRawConfig(
  ctx: TemporalContext,
  r: { queueUrl: string; streamName: string },
  planned: readonly PlannedSubmission[],
  input: DrainInput,
): Promise<ConfigResult> {
  const submissions = await preload(ctx.clients.sqs, r.queueUrl, planned);
  const { sqs, kinesis } = productClients(ctx);
  const clockBefore = await ctx.clock.offsetMs();
  const meter = new ResourceMeter();
  const startedAt = Date.now();
  // The same worker-level PutRecords batcher as the product's worker (src/worker.ts): the same work.
  const batcher = createPutRecordsBatcher(kinesisSender(kinesis, r.streamName));
  const stats = await runRawLoop({ sqs, kinesis, queueUrl: r.queueUrl, streamName: r.streamName, batcher }, input);
  const durationMs = Date.now() - startedAt;
  const usage = meter.stop();
  const events = expectedEvents(planned);
  const { figures, latency, clockOffsetMs } = await verifyWithClock(ctx, submissions, r, clockBefore);
  return {
    name: `raw loop (${input.lanes} lanes)`,
    kind: 'raw',
    lanes: input.lanes,
    workers: 0,
    validSubmissions: stats.valid,
    ...loadFigures(planned.length, events, usage, durationMs),
    latencyMs: latency,
    clockOffsetMs,
    putRecordsRequests: batcher.stats().requests,
    verify: figures,
  };
}

/** The whole command as a function (tests call it in-process); exit code as the result. */
export function runBenchCli(argv: string[], io: CliIo = PROCESS_IO): Promise<number> {
  const explained = async (args: string[]): Promise<number | void> => {
    try {
      return await main(args);
    } catch (err) {
      throw err instanceof StackNotUpError ? new OperatorError(err.message) : err;
    }
  };
  return executeCommand(HELP, explained, argv, io);
}

if (require.main === module) {
  void runBenchCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
