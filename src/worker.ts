import { Client } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { createPutRecordsBatcher, kinesisSender } from './publish/put-records-batcher';
import { createKinesisClient, createSqsClient } from './aws/clients';
import { dataConverterFor, describePayloadProtection } from './codec/data-converter';
import { payloadKeySettingsFromEnv } from './codec/keys';
import { startUndecodableRunGuard } from './codec/undecodable-runs';
import { loadConfig, type Config } from './config/environment';
import { startDlqGauge } from './dlq/gauges';
import { validationLimitsFromEnv } from './domain/limits';
import { loadEnvFiles } from './config/env-files';
import { createJsonLogger } from './worker/json-logger';
import { executeCommand, OperatorError, parseCommandLine, PROCESS_IO, type CliIo } from './cli/shell';
import { HISTOGRAM_BUCKET_OVERRIDES } from './worker/metric-buckets';
import { preflight, PreflightError } from './worker/preflight';
import { checkSearchAttributes } from './temporal/preflight-search-attributes';
import { createPipelineWorkers, expectedStartupMessages } from './worker/pipeline-workers';
import { monitorScheduleHealth, readScheduleHealth } from './schedule/health';
import { describeTemporalConnection, temporalConnectionOptions } from './temporal/connection';
import { workflowSource } from './temporal/workflow-bundle';
import { workerVersioning } from './temporal/worker-versioning';

const USAGE = `npm run worker   the Temporal worker: polls the task queue, runs the drain workflow and its activities
Takes no flags: everything comes from the environment (.env.example, .env; docs/configuration.md). Start-up checks
(queue, stream, visibility timeout, search attributes) fail fast with the fix to apply. Stops on SIGINT/SIGTERM.
Exit codes: 0 stopped cleanly, 1 failed (a start-up check or an error), 2 usage error.`;

/** Time a stopping worker gives the batches it holds (and its running activities) to finish. */
const SHUTDOWN_GRACE_MS = 30_000;
const SHUTDOWN_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

async function run(argv: string[]): Promise<void> {
  parseCommandLine(argv, { help: { type: 'boolean', short: 'h' } });
  loadEnvFiles();
  const config = loadConfig();
  // G8 confidentiality: validated before anything connects; without a key under NODE_ENV=production (and no explicit
  // PAYLOAD_ENCRYPTION=off) this throws and the worker does not start.
  const payloadProtection = payloadKeySettingsFromEnv();
  const dataConverter = dataConverterFor(payloadProtection);
  // Structured JSON lines carrying workflow and activity ids (the SDK adds them to every activity and workflow log); the
  // SDK's start-up notes about what the two workers do not poll, by design, at DEBUG.
  Runtime.install({
    logger: createJsonLogger(config.LOG_LEVEL, expectedStartupMessages(config.TEMPORAL_TASK_QUEUE)),
    // The worker orders its own shutdown (held batches first): see createPipelineWorkers.
    shutdownSignals: [],
    telemetryOptions:
      config.METRICS_PORT > 0
        ? {
            metrics: {
              prometheus: {
                bindAddress: `${config.METRICS_HOST}:${config.METRICS_PORT}`,
                histogramBucketOverrides: HISTOGRAM_BUCKET_OVERRIDES,
              },
            },
          }
        : undefined,
  });
  const sqs = createSqsClient(config);
  const kinesis = createKinesisClient(config);
  // Refuse to start against a missing queue or stream, or a visibility timeout too short for a batch: a clear message
  // now beats a fleet of workers failing every activity later.
  await preflight(config, {
    sqs,
    kinesis,
    warn: (message) => {
      Runtime.instance().logger.warn(message);
    },
  });
  // edr_dlq_messages for the "DLQ not empty" alert (docs/alerts.md); its timer never keeps the process up.
  startDlqGauge(config, sqs, Runtime.instance().metricMeter, (m) => {
    Runtime.instance().logger.warn(m);
  });
  const temporal = temporalConnectionOptions(config);
  const connection = await NativeConnection.connect(temporal);
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter });
  // A payload under a key this worker lacks is counted by key id at once, and a run stuck on it is closed after a short
  // grace instead of retrying its workflow task until its execution timeout (src/codec/undecodable-runs.ts).
  startUndecodableRunGuard(client, Runtime.instance().metricMeter, (m) => {
    Runtime.instance().logger.warn(m);
  });
  // Refuse to start while runs would set search attributes the namespace lacks: such a run never closes (G7).
  const searchAttributeProblems = await checkSearchAttributes(client, config, (message) => {
    Runtime.instance().logger.warn(message);
  });
  if (searchAttributeProblems.length > 0) {
    await connection.close();
    throw new PreflightError(searchAttributeProblems);
  }
  // In development this bundles the workflow sources (seconds); webpack's statistics go to DEBUG.
  const workflows = await workflowSource(process.env.NODE_ENV, Runtime.instance().logger);
  const workers = await createPipelineWorkers({
    connection,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    shared: {
      namespace: config.TEMPORAL_NAMESPACE,
      ...workflows,
      ...workerVersioning(),
      dataConverter,
      shutdownGraceTime: `${SHUTDOWN_GRACE_MS}ms`,
    },
    deps: {
      sqs,
      kinesis,
      queueUrl: config.SQS_QUEUE_URL,
      quarantineQueueUrl: config.QUARANTINE_QUEUE_URL,
      streamName: config.KINESIS_STREAM_NAME,
      limits: validationLimitsFromEnv(config),
      // One per worker: the publish activities running on it share PutRecords requests (docs/benchmark.md).
      putRecordsBatcher: createPutRecordsBatcher(kinesisSender(kinesis, config.KINESIS_STREAM_NAME), {
        maxInFlight: config.PUT_RECORDS_IN_FLIGHT,
      }),
    },
    maxConcurrentActivities: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxHeldBytes: config.WORKER_MAX_HELD_BYTES,
  });
  // On SIGINT/SIGTERM the worker stops taking batches, finishes those it holds for up to the grace time, then stops;
  // what is still running after it is cancelled, and its messages reappear in the queue (same event ids).
  const stopOnSignal = (): void => void workers.shutdown(SHUTDOWN_GRACE_MS);
  for (const signal of SHUTDOWN_SIGNALS) process.once(signal, stopOnSignal);
  console.log(
    `worker polling task queue "${config.TEMPORAL_TASK_QUEUE}" (batches on "${workers.ownTaskQueue}") on ${describeTemporalConnection(temporal)} ` +
      `(queue ${config.SQS_QUEUE_URL} → stream ${config.KINESIS_STREAM_NAME})` +
      (config.METRICS_PORT > 0 ? `; metrics on http://${config.METRICS_HOST}:${config.METRICS_PORT}/metrics` : '') +
      `; ${describePayloadProtection(payloadProtection)}`,
  );
  const stopHealth = startScheduleHealth(client, config);
  try {
    await workers.run();
  } finally {
    for (const signal of SHUTDOWN_SIGNALS) process.off(signal, stopOnSignal);
    stopHealth();
    await connection.close();
  }
}

/** G7 liveness gauges on the worker's metrics endpoint (src/schedule/health.ts has the alert rule). */
function startScheduleHealth(client: Client, config: Config): () => void {
  if (config.METRICS_PORT === 0 || config.SCHEDULE_HEALTH_POLL_SECONDS === 0) return () => undefined;
  const meter = Runtime.instance().metricMeter.withTags({ schedule_id: config.SCHEDULE_ID });
  return monitorScheduleHealth({
    read: () => readScheduleHealth(client, config.SCHEDULE_ID),
    gauges: {
      lastCompleted: meter.createGauge(
        'edr_schedule_last_completed_run_timestamp_seconds',
        'float',
        's',
        'Close time (Unix seconds) of the newest successfully completed run of the schedule',
      ),
      healthyGap: meter.createGauge(
        'edr_schedule_healthy_run_gap_seconds',
        'float',
        's',
        'Interval plus run budget: the longest a healthy schedule goes between completed runs',
      ),
    },
    pollMs: config.SCHEDULE_HEALTH_POLL_SECONDS * 1000,
    warn: (message) => {
      Runtime.instance().logger.warn(message);
    },
  });
}

/** The worker as a command (tests call it in-process with --help); exit code as the result. */
export function runWorkerCli(argv: string[], io: CliIo = PROCESS_IO): Promise<number> {
  const explained = async (args: string[]): Promise<void> => {
    try {
      await run(args);
    } catch (err) {
      throw err instanceof PreflightError ? new OperatorError(err.message) : err;
    }
  };
  return executeCommand(USAGE, explained, argv, io);
}

if (require.main === module) {
  void runWorkerCli(process.argv.slice(2)).then((code) => {
    // A failed start exits at once: open handles (a half-made connection) must not keep the process alive.
    if (code !== 0) process.exit(code);
  });
}
