import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  NativeConnection,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createPutRecordsBatcher, kinesisSender } from '../../src/publish/put-records-batcher';
import { createPipelineWorkers, type PipelineWorkers } from '../../src/worker/pipeline-workers';
import { createKinesisClient, createSqsClient } from '../../src/aws/clients';
import { dataConverterFromEnv } from '../../src/codec/data-converter';
import type { DrainInputOverrides } from '../../workflows/drain-input';
import { DEFAULT_VALIDATION_LIMITS } from '../../src/domain/limits';
import { generateSubmissions } from '../fleet/generate';
import type { SubmissionEntry } from '../fleet/manifest';
import { sendSubmissions, toManifestEntry } from '../fleet/send';
import { RUN_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { WORKFLOW_TYPE } from '../../workflows/names';
import type { drainQueue } from '../../workflows';
import {
  formatReport,
  judge,
  readAllRecords,
  readQueueDepth,
  isDrained,
  type JudgeReport,
  type QueueDepth,
} from '../verify';
import { activityStatsOf, fetchChainHistories, type ActivityStats } from './activity-stats';
import { startFaultProxy, type FaultProxy } from './proxy';
import { retryWhileTemporalUnreachable } from './temporal-retry';
import { startPrivateTemporal, type PrivateTemporalServer } from './temporal-server';
import { spawnWorkerProcess, type WorkerProcess } from './workers';
import { createQueue, deleteQueue, deleteStream, ensureStream } from '../stack/aws-resources';

/** What a scenario's fault plan gets: the two proxies, the workers, and clocks that end early once the queue drained. */
export interface ChaosContext {
  sqsProxy: FaultProxy;
  kinesisProxy: FaultProxy;
  /** Worker processes (scenarios with `workerProcesses` > 0), in start order. */
  workers: WorkerProcess[];
  /** Starts one more worker process on the scenario's task queue; resolves once it polls. */
  startWorker(): Promise<WorkerProcess>;
  /** Waits `ms`, or less if the pipeline already drained everything. */
  faultWindow(ms: number): Promise<void>;
  /**
   * Resolves once the Kinesis proxy has seen `n` PutRecords requests while the queue still has messages held by a run
   * (publishing really is under way); rejects if the pipeline drained first, so a fault never lands on an idle pipeline
   * unnoticed.
   */
  publishing(n?: number): Promise<InFlight>;
  /** PutRecords requests so far and messages held by runs right now (read from the emulator, not the proxy). */
  inFlight(): Promise<InFlight>;
  /**
   * Records what proves the fault hit work in flight (e.g. PutRecords requests after the fault). The scenario fails
   * unless it recorded at least one and every one is above zero.
   */
  evidence(label: string, value: number): void;
  /**
   * SIGKILLs the scenario's private Temporal server, keeps it down for `downMs`, starts it again on the same SQLite file
   * and ports, and resolves once it is healthy (`readyMs`: from the new start to healthy). Needs `privateTemporal`.
   */
  restartTemporal(downMs: number): Promise<{ readyMs: number }>;
  /** Records a fault the proxies do not count (a killed process, a down window) for the result table. */
  recordFault(rule: string, count: number): void;
  /** Scale factor of the run (1 at full size), for fault windows that should grow with the load. */
  scale: number;
  log(message: string): void;
}

export interface InFlight {
  putRecords: number;
  held: number;
}

export interface Scenario {
  name: string;
  title: string;
  /** Run input overrides of every drainQueue run (e.g. a short visibility timeout). */
  runInput?: DrainInputOverrides;
  /** Real worker processes on the scenario's task queue instead of the in-process worker. */
  workerProcesses?: number;
  /**
   * Run on a Temporal dev server of the scenario's own (fresh SQLite file, free ports) instead of TEMPORAL_ADDRESS:
   * for faults of the server itself, which must never hit the shared one.
   */
  privateTemporal?: true;
  /** The fault plan; resolves when the faults have stopped (every fault is bounded). */
  inject(ctx: ChaosContext): Promise<void>;
  /** Scenario-specific failures beyond the verifier's (e.g. "a delete activity missed its heartbeat"). */
  verdict?(result: ChaosResult): string[];
}

export interface ChaosOptions {
  submissions: number;
  seed?: number;
  /** Share of broken submissions in the fleet load. */
  brokenShare?: number;
  /**
   * Visibility timeout of every run unless the scenario sets its own. Short, so a message hidden by a failed attempt
   * (e.g. a receive that failed after its first ReceiveMessage) comes back quickly; the product default is 120 s.
   */
  visibilityTimeoutSeconds?: number;
  /** Entry point of worker processes (default `src/worker.ts`). */
  workerScript?: string;
  /** Give up on draining after this long. */
  timeoutMs?: number;
  log?: (message: string) => void;
}

export interface ChaosResult {
  scenario: string;
  sent: number;
  valid: number;
  expectedEvents: number;
  /** Records on the stream (events plus duplicates). */
  published: number;
  duplicatesSameId: number;
  duplicatesDifferentId: number;
  lost: number;
  reordered: number;
  leaked: number;
  queue: QueueDepth;
  runs: number;
  failedRuns: number;
  /** Faults injected, per proxy rule (read just before the rules were removed). */
  injected: { proxy: 'sqs' | 'kinesis' | 'runner'; rule: string; injected: number }[];
  /** Connections refused or reset while an upstream was "down" (refused connections are not counted: never seen). */
  downRejections: number;
  /** What the scenario recorded as proof that its fault hit work in flight. */
  evidence: { label: string; value: number }[];
  /** Messages SQS handed out again after an earlier receive (seen by the SQS proxy): redeliveries. */
  redelivered: number;
  /** Requests whose client went away before the proxy answered (a killed worker, a client timeout). */
  abandoned: number;
  /** Per activity type, from the runs' histories: retries and heartbeat timeouts. */
  activities: Record<string, ActivityStats>;
  /** Why the scenario failed beyond the verifier: missing evidence, the scenario's own verdict. */
  problems: string[];
  /** From the moment the last fault stopped until the queue was drained and the last run finished. */
  drainAfterFaultMs: number;
  totalMs: number;
  ok: boolean;
  report: JudgeReport;
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  const noop = (): void => undefined;
  bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    logger: { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop },
  });
  return bundle;
}

function installQuietRuntime(): void {
  try {
    // Activity warnings about injected faults would drown the output; errors still show.
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // A runtime already exists (a test file installed one): keep it.
  }
}

function awsConfig(endpoints: { sqs?: string; kinesis?: string } = {}) {
  return {
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    AWS_ENDPOINT_URL: process.env.AWS_ENDPOINT_URL,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs ?? process.env.AWS_ENDPOINT_URL_SQS ?? 'http://127.0.0.1:9324',
    AWS_ENDPOINT_URL_KINESIS: endpoints.kinesis ?? process.env.AWS_ENDPOINT_URL_KINESIS ?? 'http://127.0.0.1:4568',
  };
}

/** How long a start or a result may keep failing with "Temporal unreachable" (a restarting server) before we give up. */
const TEMPORAL_OUTAGE_TOLERANCE_MS = 120_000;

/**
 * Starts one drainQueue run and waits for its end, riding out a Temporal outage: both calls are retried while the
 * server is unreachable. A start whose answer was lost may have started the run: the retry then finds the workflow id
 * taken (REJECT_DUPLICATE, so a run that already ended is not started twice) and follows that run.
 */
async function runDrain(
  client: Client,
  run: { taskQueue: string; workflowId: string; input: DrainInputOverrides; log: (message: string) => void },
): Promise<void> {
  const retry = { timeoutMs: TEMPORAL_OUTAGE_TOLERANCE_MS, log: run.log };
  const handle = await retryWhileTemporalUnreachable(
    'start',
    async () => {
      try {
        return await client.workflow.start<typeof drainQueue>(WORKFLOW_TYPE, {
          taskQueue: run.taskQueue,
          workflowId: run.workflowId,
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          args: [run.input],
        });
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError)
          return client.workflow.getHandle<typeof drainQueue>(run.workflowId);
        throw err;
      }
    },
    retry,
  );
  await retryWhileTemporalUnreachable('result', () => handle.result(), retry);
}

/** Everything one scenario owns and must give back: emulator clients, proxies, workers, connections, resources. */
interface Rig {
  scenario: Scenario;
  options: ChaosOptions;
  log: (message: string) => void;
  started: number;
  streamName: string;
  taskQueue: string;
  namespace: string;
  /** Straight to the emulators: the load, the depth readings and the verifier never go through the faults. */
  direct: { sqs: SQSClient; kinesis: KinesisClient };
  sqsProxy: FaultProxy;
  kinesisProxy: FaultProxy;
  queueUrl: string;
  workers: WorkerProcess[];
  inProcess?: { workers: PipelineWorkers; running: Promise<void>; connection: NativeConnection };
  connection?: Connection;
  privateTemporal?: PrivateTemporalServer;
}

/** Whether the queue was found drained; fault clocks end early once it first was. */
interface DrainState {
  drained: boolean;
  readonly signalled: Promise<void>;
  mark(drained: boolean): void;
}

function drainState(): DrainState {
  let resolve: () => void = () => undefined;
  const state: DrainState = {
    drained: false,
    signalled: new Promise<void>((r) => (resolve = r)),
    mark: (drained) => {
      state.drained = drained;
      if (drained) resolve();
    },
  };
  return state;
}

async function openRig(scenario: Scenario, options: ChaosOptions): Promise<Rig> {
  const id = `${scenario.name}-${randomUUID().slice(0, 8)}`;
  const upstream = awsConfig();
  return {
    scenario,
    options,
    log: options.log ?? ((): void => undefined),
    started: Date.now(),
    streamName: `chaos-${id}`,
    taskQueue: `chaos-${id}`,
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    direct: { sqs: createSqsClient(upstream), kinesis: createKinesisClient(upstream) },
    sqsProxy: await startFaultProxy({ upstream: upstream.AWS_ENDPOINT_URL_SQS }),
    kinesisProxy: await startFaultProxy({ upstream: upstream.AWS_ENDPOINT_URL_KINESIS }),
    queueUrl: '',
    workers: [],
  };
}

/** The fleet load goes straight to the emulator: the faults are the pipeline's problem, not the sensors'. */
async function sendLoad(rig: Rig): Promise<SubmissionEntry[]> {
  const { options } = rig;
  const planned = generateSubmissions(
    {
      seed: options.seed ?? 20261128,
      devices: 10,
      brokenShare: options.brokenShare ?? 0.2,
      eventsMin: 1,
      eventsMax: 5,
      plainJsonShare: 0.1,
      startTimeMs: Date.now(),
    },
    options.submissions,
  );
  const sent = await sendSubmissions(rig.direct.sqs, planned, { queueUrl: rig.queueUrl, concurrency: 16 });
  const submissions = sent.map((r) => toManifestEntry(r)).filter((e): e is SubmissionEntry => e.kind === 'submission');
  if (submissions.length !== options.submissions) {
    throw new Error(`only ${submissions.length} of ${options.submissions} submissions could be sent`);
  }
  rig.log(
    `${rig.scenario.name}: sent ${submissions.length} submissions in ${Math.round((Date.now() - rig.started) / 1000)} s`,
  );
  return submissions;
}

/** The scenario's own Temporal server when it restarts one; otherwise the local stack's. */
async function temporalAddressFor(rig: Rig): Promise<string> {
  if (rig.scenario.privateTemporal) {
    // The runs upsert the product's search attributes (run input `searchAttributes`, on by default): register them
    // as the local stack does, so the scenario runs the pipeline as deployed rather than with them switched off.
    rig.privateTemporal = await startPrivateTemporal({
      namespace: rig.namespace,
      searchAttributes: RUN_SEARCH_ATTRIBUTES,
    });
    rig.log(
      `${rig.scenario.name}: private Temporal dev server on ${rig.privateTemporal.address} (${rig.privateTemporal.dbFile})`,
    );
  }
  return rig.privateTemporal?.address ?? process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
}

/** Starts one worker process whose AWS clients go through the fault proxies; resolves once it polls. */
async function startWorkerProcess(rig: Rig, temporalAddress: string): Promise<WorkerProcess> {
  const worker = spawnWorkerProcess(
    {
      SQS_QUEUE_URL: rig.queueUrl,
      KINESIS_STREAM_NAME: rig.streamName,
      AWS_ENDPOINT_URL_SQS: rig.sqsProxy.url,
      AWS_ENDPOINT_URL_KINESIS: rig.kinesisProxy.url,
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_NAMESPACE: rig.namespace,
      TEMPORAL_TASK_QUEUE: rig.taskQueue,
      METRICS_PORT: '0',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    rig.options.workerScript,
  );
  rig.workers.push(worker);
  await worker.ready;
  return worker;
}

/** Worker processes when the scenario kills some; otherwise one in-process worker with the real activities. */
async function startWorkers(rig: Rig, temporalAddress: string): Promise<void> {
  const processes = rig.scenario.workerProcesses ?? 0;
  if (processes > 0) {
    for (let i = 0; i < processes; i++) void startWorkerProcess(rig, temporalAddress).catch(() => undefined);
    await Promise.all(rig.workers.map((w) => w.ready));
    rig.log(`${rig.scenario.name}: ${rig.workers.length} worker processes ready`);
    return;
  }
  installQuietRuntime();
  const productAws = awsConfig({ sqs: rig.sqsProxy.url, kinesis: rig.kinesisProxy.url });
  const kinesis = createKinesisClient(productAws);
  const nativeConnection = await NativeConnection.connect({ address: temporalAddress });
  // The composition src/worker.ts deploys: both queues, the message hold and one PutRecords batcher.
  const workers = await createPipelineWorkers({
    connection: nativeConnection,
    taskQueue: rig.taskQueue,
    shared: { namespace: rig.namespace, workflowBundle: await workflowBundle(), dataConverter: dataConverterFromEnv() },
    deps: {
      sqs: createSqsClient(productAws),
      kinesis,
      queueUrl: rig.queueUrl,
      streamName: rig.streamName,
      limits: DEFAULT_VALIDATION_LIMITS,
      putRecordsBatcher: createPutRecordsBatcher(kinesisSender(kinesis, rig.streamName)),
    },
    maxConcurrentActivities: 32,
    maxHeldBytes: 0,
  });
  rig.inProcess = { workers, running: workers.run(), connection: nativeConnection };
}

type Injected = ChaosResult['injected'];
type Evidence = ChaosResult['evidence'];

/** What the scenario's fault plan may see and do (ChaosContext), bound to this rig. */
function chaosContext(
  rig: Rig,
  temporalAddress: string,
  drain: DrainState,
  injected: Injected,
  evidence: Evidence,
): ChaosContext {
  const { scenario, log, sqsProxy, kinesisProxy } = rig;
  const inFlight = async (): Promise<InFlight> => ({
    putRecords: kinesisProxy.stats().requests['PutRecords'] ?? 0,
    held: (await readQueueDepth(rig.direct.sqs, rig.queueUrl)).notVisible,
  });
  return {
    evidence: (label, value) => {
      evidence.push({ label, value });
      log(`${scenario.name}: evidence: ${label} = ${value}`);
    },
    inFlight,
    recordFault: (rule, count) => void injected.push({ proxy: 'runner', rule, injected: count }),
    restartTemporal: async (downMs) => {
      const server = rig.privateTemporal;
      if (!server) throw new Error(`${scenario.name}: restartTemporal needs a scenario with privateTemporal`);
      await server.kill();
      await sleep(downMs);
      const restartedAt = Date.now();
      await server.start();
      return { readyMs: Date.now() - restartedAt };
    },
    sqsProxy,
    kinesisProxy,
    workers: rig.workers,
    startWorker: () => startWorkerProcess(rig, temporalAddress),
    scale: rig.options.submissions / 10_000,
    log,
    // The timer is cleared once drained: a pending fault window must not keep the process (or jest) alive.
    faultWindow: (ms) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        void drain.signalled.then(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
    publishing: async (n = 1) => {
      for (;;) {
        if (drain.drained) {
          throw new Error(
            `${scenario.name}: the queue drained before publishing reached ${n} PutRecords requests with messages ` +
              'held: the fault would land on an idle pipeline (a larger --submissions gives it work to hit)',
          );
        }
        if ((kinesisProxy.stats().requests['PutRecords'] ?? 0) >= n) {
          const now = await inFlight();
          if (now.held > 0) return now;
        }
        await sleep(50);
      }
    },
  };
}

/** The fault plan, then its bookkeeping: rule counts read before the rules go, and when the last fault happened. */
function injectFaults(
  rig: Rig,
  ctx: ChaosContext,
  injected: Injected,
): { done: Promise<void>; stoppedAt: () => number | undefined } {
  const { sqsProxy, kinesisProxy } = rig;
  let stoppedAt: number | undefined;
  const done = rig.scenario.inject(ctx).then(async () => {
    for (const [proxy, p] of [
      ['sqs', sqsProxy],
      ['kinesis', kinesisProxy],
    ] as const) {
      for (const r of p.stats().rules) injected.push({ proxy, rule: r.name, injected: r.injected });
    }
    await sqsProxy.reset();
    await kinesisProxy.reset();
    stoppedAt = Math.max(Date.now(), sqsProxy.stats().lastFaultAtMs ?? 0, kinesisProxy.stats().lastFaultAtMs ?? 0);
    rig.log(`${rig.scenario.name}: faults stopped after ${Math.round((stoppedAt - rig.started) / 1000)} s`);
  });
  return { done, stoppedAt: () => stoppedAt };
}

/**
 * Runs back to back, like the schedule under load (BUFFER_ONE): a new run whenever the previous one ended and the
 * queue still holds messages (visible, or invisible until a dead run's lease runs out), until it is drained with the
 * faults over.
 */
async function runUntilDrained(
  rig: Rig,
  client: Client,
  drain: DrainState,
  faults: { done: Promise<void>; stoppedAt: () => number | undefined },
): Promise<{ runs: number; failedRuns: number; workflowIds: string[] }> {
  const { scenario, options, log, taskQueue } = rig;
  let runs = 0;
  let failedRuns = 0;
  const workflowIds: string[] = [];
  const deadline = Date.now() + (options.timeoutMs ?? 30 * 60_000);
  while (Date.now() < deadline) {
    runs += 1;
    const workflowId = `${taskQueue}-run-${runs}`;
    workflowIds.push(workflowId);
    try {
      await runDrain(client, {
        taskQueue,
        workflowId,
        input: {
          mode: 'drain',
          lanes: 4,
          receiveWaitSeconds: 1,
          visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 20,
          ...scenario.runInput,
        },
        log: (message) => log(`${scenario.name}: run ${runs}: ${message}`),
      });
    } catch (err) {
      if (!(err instanceof WorkflowFailedError)) throw err;
      failedRuns += 1;
      log(`${scenario.name}: run ${runs} failed (${err.cause?.message ?? err.message}); the next run picks up`);
    }
    let depth = await readQueueDepth(rig.direct.sqs, rig.queueUrl);
    if (isDrained(depth) && faults.stoppedAt() !== undefined) break;
    if (isDrained(depth)) {
      drain.mark(true);
      await faults.done;
      depth = await readQueueDepth(rig.direct.sqs, rig.queueUrl);
      if (isDrained(depth)) break;
      drain.mark(false);
    }
    // Only invisible messages left: wait for their lease to run out rather than spin empty runs.
    if (depth.visible === 0) await sleep(1_000);
  }
  return { runs, failedRuns, workflowIds };
}

/** The verifier's judgement of the stream and queue, with the proxies' and histories' account of what happened. */
async function scenarioResult(
  rig: Rig,
  client: Client,
  submissions: SubmissionEntry[],
  runs: { runs: number; failedRuns: number; workflowIds: string[] },
  faultsStoppedAt: number | undefined,
  injected: Injected,
  evidence: Evidence,
): Promise<ChaosResult> {
  const { scenario, log, sqsProxy, kinesisProxy } = rig;
  const drainedAt = Date.now();
  const records = await readAllRecords(rig.direct.kinesis, rig.streamName);
  const depth = await readQueueDepth(rig.direct.sqs, rig.queueUrl);
  const report = judge(submissions, records, {
    allowDuplicates: true,
    queue: { visible: depth.visible, notVisible: depth.notVisible, delayed: depth.delayed },
  });
  if (!report.ok) log(formatReport(report));
  // Every run of each chain: an activity retried before a continue-as-new is counted too.
  const chains = await Promise.all(runs.workflowIds.map((w) => fetchChainHistories(client, w)));
  const activities = activityStatsOf(chains.flat());
  const c = report.checks;
  const result: ChaosResult = {
    scenario: scenario.name,
    sent: submissions.length,
    valid: report.counts.validSubmissions,
    expectedEvents: report.counts.expectedEvents,
    published: report.counts.records,
    duplicatesSameId: c.duplicate_same_id.count,
    duplicatesDifferentId: c.duplicate_different_id.count,
    lost: c.lost.count,
    reordered: c.order.count,
    leaked: c.leaked.count,
    queue: depth,
    runs: runs.runs,
    failedRuns: runs.failedRuns,
    injected,
    downRejections: sqsProxy.stats().downRejections + kinesisProxy.stats().downRejections,
    evidence,
    redelivered: sqsProxy.stats().received.redelivered,
    abandoned: sqsProxy.stats().abandoned + kinesisProxy.stats().abandoned,
    activities,
    problems: [],
    drainAfterFaultMs: Math.max(0, drainedAt - (faultsStoppedAt ?? drainedAt)),
    totalMs: drainedAt - rig.started,
    ok: report.ok,
    report,
  };
  result.problems = [...evidenceProblems(evidence), ...(scenario.verdict?.(result) ?? [])];
  result.ok = report.ok && result.problems.length === 0;
  for (const problem of result.problems) log(`${scenario.name}: FAIL: ${problem}`);
  return result;
}

async function closeRig(rig: Rig): Promise<void> {
  await Promise.all(rig.workers.map((w) => w.stop(5_000)));
  if (rig.inProcess) {
    await rig.inProcess.workers.shutdown(5_000);
    await rig.inProcess.running.catch(() => undefined);
    await rig.inProcess.connection.close();
  }
  await rig.connection?.close();
  // After the workers: their graceful shutdown talks to the server.
  await rig.privateTemporal?.dispose();
  await rig.sqsProxy.close();
  await rig.kinesisProxy.close();
  if (rig.queueUrl) await deleteQueue(rig.direct.sqs, rig.queueUrl);
  await deleteStream(rig.direct.kinesis, rig.streamName);
  rig.direct.sqs.destroy();
  rig.direct.kinesis.destroy();
}

/**
 * One chaos scenario end to end on the local stack: a fresh queue and stream, fault proxies in front of both
 * emulators, a fleet load, real workers with the real activities whose clients go through the proxies, drainQueue runs
 * started back to back (as the schedule would) until the queue is drained, and the verifier's judgement of the stream.
 */
export async function runScenario(scenario: Scenario, options: ChaosOptions): Promise<ChaosResult> {
  const rig = await openRig(scenario, options);
  try {
    rig.queueUrl = await createQueue(rig.direct.sqs, rig.streamName);
    await ensureStream(rig.direct.kinesis, rig.streamName, 2);
    const submissions = await sendLoad(rig);

    const temporalAddress = await temporalAddressFor(rig);
    await startWorkers(rig, temporalAddress);
    rig.connection = await Connection.connect({ address: temporalAddress });
    // The worker processes' codec (G8): they load the same keys, so this client reads their results.
    const client = new Client({
      connection: rig.connection,
      namespace: rig.namespace,
      dataConverter: dataConverterFromEnv(),
    });

    const drain = drainState();
    const injected: Injected = [];
    const evidence: Evidence = [];
    const faults = injectFaults(rig, chaosContext(rig, temporalAddress, drain, injected, evidence), injected);
    const runs = await runUntilDrained(rig, client, drain, faults);
    drain.mark(true);
    await faults.done;
    return await scenarioResult(rig, client, submissions, runs, faults.stoppedAt(), injected, evidence);
  } finally {
    await closeRig(rig);
  }
}

/** A scenario proves its fault hit work in flight, or it fails: no evidence at all, or any zero, is a problem. */
export function evidenceProblems(evidence: readonly { label: string; value: number }[]): string[] {
  if (evidence.length === 0) return ['the scenario recorded no evidence that its fault hit work in flight'];
  return evidence
    .filter((e) => !(e.value > 0))
    .map((e) => `no evidence the fault hit work in flight: ${e.label} = ${e.value}`);
}
