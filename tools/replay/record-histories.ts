import { executeCommand, parseCommandLine, stringFlag, PROCESS_IO, type CliIo } from '../../src/cli/shell';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createActivities, MessageHold, type ActivityDeps } from '../../activities';
import { createPipelineWorkers } from '../../src/worker/pipeline-workers';
import { DEFAULT_VALIDATION_LIMITS } from '../../src/domain/limits';
import type { RunSummary } from '../../workflows/run-summary';
import type { drainQueue } from '../../workflows';
import { WORKFLOW_TYPE } from '../../workflows/names';
import { RECORDING_CASES, SMALL_HISTORY_EVENTS, type RecordingCase, type RunOutcome } from './cases';
import { startKinesis, startSqs, startTemporal, TEMPORAL_BIN } from './private-services';
import { createQueue, ensureStream } from '../stack/aws-resources';
import { checkoutRoots, withRepositoryRelativePaths } from './relative-paths';

const execFileAsync = promisify(execFile);

const REPO_ROOT = resolve(__dirname, '..', '..');
const DEFAULT_OUT = join(REPO_ROOT, 'test', 'replay', 'histories');
/** The names the run upserts (workflows/search-attributes.ts); the private server registers them. */
const SEARCH_ATTRIBUTES = ['SubmissionsReceived', 'SubmissionsInvalid', 'EventsPublished'];
/** Fixed identity instead of pid@hostname, so histories do not carry the recording machine's name. */
const IDENTITY = 'history-recorder';
const STREAM = 'replay-events';

const USAGE = `Usage: npm run record-histories [-- --out DIR]

Runs the drainQueue workflow (workflows/) with a real Worker and the real activities on private servers it starts and
stops itself (a Temporal dev server, fauxqs for SQS, kinesis-local for Kinesis; free ports, nothing else touched), then
writes one history per case as JSON (the format of \`temporal workflow show --output json\`):
${RECORDING_CASES.map((c) => `  ${c.name}.json${c.recordContinuedRun ? ` (+ ${c.name}-continued.json)` : ''}: ${c.what}`).join('\n')}

  --out DIR   where to write (default: ${relative(REPO_ROOT, DEFAULT_OUT)})
  --help      print this and do nothing else
Exit codes: 0 recorded, 1 failed, 2 usage error.

Re-record after a deliberate, versioned change of the workflow (docs/deploy.md); never to make a failing replay pass.`;

function parseRecordArgs(argv: string[]): { out: string } {
  const { values } = parseCommandLine(argv, { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  const out = stringFlag(values, 'out');
  return { out: out === undefined ? DEFAULT_OUT : resolve(out) };
}

interface Emulators {
  sqs: SQSClient;
  kinesis: KinesisClient;
}

function emulatorClients(sqsEndpoint: string, kinesisEndpoint: string): Emulators {
  const shared = {
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    // kinesis-local speaks HTTP/1.1 only.
    requestHandler: new NodeHttpHandler({ connectionTimeout: 2_000, requestTimeout: 30_000 }),
    maxAttempts: 1,
  };
  return {
    sqs: new SQSClient({ ...shared, endpoint: sqsEndpoint }),
    kinesis: new KinesisClient({ ...shared, endpoint: kinesisEndpoint }),
  };
}

async function sendBodies(sqs: SQSClient, queueUrl: string, bodies: string[]): Promise<void> {
  for (let start = 0; start < bodies.length; start += 10) {
    const entries = bodies.slice(start, start + 10).map((body, i) => ({ Id: String(start + i), MessageBody: body }));
    const { Failed } = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
    if (Failed?.length) throw new Error(`send failed: ${JSON.stringify(Failed)}`);
  }
}

async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages ?? 'NaN');
}

interface Recorded {
  file: string;
  events: number;
}

/**
 * A worker that receives batches but whose own queue nobody polls, as when it died right after its receive: the
 * batch's next step times out waiting to start. (Its hold keeps the messages leased; they are never deleted.)
 */
async function lostWorker(
  connection: NativeConnection,
  taskQueue: string,
  workflowBundle: WorkflowBundleWithSourceMap,
  deps: Omit<ActivityDeps, 'hold' | 'ownTaskQueue'>,
): Promise<Worker> {
  const hold = new MessageHold(deps, { maxBytes: 64 * 1024 * 1024, idleReleaseMs: 60_000 });
  const { receiveSubmissions } = createActivities({ ...deps, hold, ownTaskQueue: `${taskQueue}/lost-worker` });
  return Worker.create({
    connection,
    taskQueue,
    workflowBundle,
    identity: IDENTITY,
    activities: { receiveSubmissions },
  });
}

/** One case: its own queues, task queue and worker; runs the workflow to its end and writes its history. */
async function recordCase(
  recording: RecordingCase,
  server: { address: string },
  emulators: Emulators,
  workflowBundle: WorkflowBundleWithSourceMap,
  out: string,
): Promise<Recorded[]> {
  const queueUrl = await createQueue(emulators.sqs, `replay-${recording.name}`);
  const quarantineQueueUrl = recording.quarantine
    ? await createQueue(emulators.sqs, `replay-${recording.name}-quarantine`)
    : undefined;
  await sendBodies(emulators.sqs, queueUrl, recording.bodies);

  const connection = await NativeConnection.connect({ address: server.address });
  const clientConnection = await Connection.connect({ address: server.address });
  const client = new Client({ connection: clientConnection, identity: IDENTITY });
  try {
    const taskQueue = `replay-${recording.name}`;
    const deps = {
      sqs: emulators.sqs,
      kinesis: emulators.kinesis,
      queueUrl,
      quarantineQueueUrl,
      streamName: recording.missingStream ? 'replay-no-such-stream' : STREAM,
      limits: DEFAULT_VALIDATION_LIMITS,
    };
    const worker = recording.workerLost
      ? await lostWorker(connection, taskQueue, workflowBundle, deps)
      : await createPipelineWorkers({
          connection,
          taskQueue,
          shared: { namespace: 'default', workflowBundle, identity: IDENTITY },
          deps,
          maxConcurrentActivities: 32,
          maxHeldBytes: 0,
        });
    const handle = await client.workflow.start<typeof drainQueue>(WORKFLOW_TYPE, {
      taskQueue,
      workflowId: `replay-${recording.name}`,
      args: [recording.input],
    });
    const outcome = await worker.runUntil(() => runOutcome(handle.result()));
    const problem = recording.check(outcome);
    if (problem) throw new Error(`${recording.name}: ${problem}`);
    if (quarantineQueueUrl && (await queueDepth(emulators.sqs, quarantineQueueUrl)) !== recording.bodies.length - 1) {
      throw new Error(`${recording.name}: the quarantine queue does not hold the invalid submissions`);
    }

    const runs = [{ file: recording.name, runId: handle.firstExecutionRunId }];
    if (recording.recordContinuedRun) {
      const first = await client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId).fetchHistory();
      const runId = first.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
      if (!runId) throw new Error(`${recording.name}: the first run did not continue as new`);
      runs.push({ file: `${recording.name}-continued`, runId });
    }
    const recorded: Recorded[] = [];
    for (const run of runs) {
      const json = withRepositoryRelativePaths(
        await showHistory(server.address, handle.workflowId, run.runId),
        checkoutRoots(REPO_ROOT),
      );
      const file = join(out, `${run.file}.json`);
      writeFileSync(file, json.endsWith('\n') ? json : `${json}\n`);
      recorded.push({ file, events: countEvents(json) });
    }
    return recorded;
  } finally {
    await clientConnection.close();
    await connection.close();
  }
}

/**
 * The history as `temporal workflow show --output json` prints it: the format every Temporal tool reads. (The SDK's own
 * historyToJSON fails in this dependency tree: see test/replay/history-files.ts.)
 */
async function showHistory(address: string, workflowId: string, runId: string): Promise<string> {
  const args = ['workflow', 'show', '--address', address, '-w', workflowId, '-r', runId, '--output', 'json'];
  const { stdout } = await execFileAsync(TEMPORAL_BIN, args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

function countEvents(json: string): number {
  const parsed: unknown = JSON.parse(json);
  const events = typeof parsed === 'object' && parsed !== null && 'events' in parsed ? parsed.events : undefined;
  if (!Array.isArray(events) || events.length === 0) throw new Error('temporal workflow show printed no events');
  return events.length;
}

async function runOutcome(result: Promise<RunSummary>): Promise<RunOutcome> {
  try {
    return { kind: 'completed', summary: await result };
  } catch (err) {
    if (err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure) {
      return { kind: 'failed', failureType: err.cause.type ?? 'Error' };
    }
    throw err;
  }
}

async function main(argv: string[]): Promise<void> {
  const args = parseRecordArgs(argv);
  // Warnings about the deliberately invalid submissions and the failing stage are expected; errors still show.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  mkdirSync(args.out, { recursive: true });
  const started = Date.now();
  const [workflowBundle, standard, smallHistory, sqs, kinesis] = await Promise.all([
    bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: new DefaultLogger('WARN') }),
    startTemporal('temporal', { dynamicConfig: {}, searchAttributes: SEARCH_ATTRIBUTES }),
    startTemporal('temporal-small-history', {
      dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': SMALL_HISTORY_EVENTS },
      searchAttributes: SEARCH_ATTRIBUTES,
    }),
    startSqs(),
    startKinesis(),
  ]);
  try {
    const emulators = emulatorClients(sqs.endpoint, kinesis.endpoint);
    await ensureStream(emulators.kinesis, STREAM, 1);
    for (const recording of RECORDING_CASES) {
      const server = recording.server === 'small-history' ? smallHistory : standard;
      for (const { file, events } of await recordCase(recording, server, emulators, workflowBundle, args.out)) {
        console.log(`recorded ${relative(REPO_ROOT, file)} (${events} events)`);
      }
    }
    console.log(`${RECORDING_CASES.length} cases recorded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await Promise.all([standard, smallHistory, sqs, kinesis].map((service) => service.stop()));
  }
}

/** The whole command as a function (tests call it in-process with --help); exit code as the result. */
export function runRecordHistoriesCli(argv: string[], io: CliIo = PROCESS_IO): Promise<number> {
  return executeCommand(USAGE, main, argv, io);
}

if (require.main === module) {
  void runRecordHistoriesCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
