import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createKinesisClient, createSqsClient } from './aws-clients';
import { loadConfig } from './config';
import { startDlqGauge } from './dlq/gauges';
import { validationLimitsFromEnv } from './domain/limits';
import { loadEnvFiles } from './env-files';
import { createJsonLogger } from './json-logger';
import { HISTOGRAM_BUCKET_OVERRIDES } from './metric-buckets';
import { preflight, PreflightError } from './preflight';
import { describeTemporalConnection, temporalConnectionOptions } from './temporal-connection';
import { workflowSource } from './workflow-bundle';

async function run(): Promise<void> {
  loadEnvFiles();
  const config = loadConfig();
  // Structured JSON lines carrying workflow and activity ids (the SDK adds them to every activity and workflow log).
  Runtime.install({
    logger: createJsonLogger(),
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
  const activities = createActivities({
    sqs,
    kinesis,
    queueUrl: config.SQS_QUEUE_URL,
    quarantineQueueUrl: config.QUARANTINE_QUEUE_URL,
    streamName: config.KINESIS_STREAM_NAME,
    limits: validationLimitsFromEnv(config),
  });
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    ...workflowSource(),
    activities,
    maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    // On SIGINT/SIGTERM the worker stops polling and lets running activities finish for this long; what is still
    // running after it is cancelled and retried elsewhere (publish resumes from its heartbeat).
    shutdownGraceTime: '30s',
  });
  console.log(
    `worker polling task queue "${config.TEMPORAL_TASK_QUEUE}" on ${describeTemporalConnection(temporal)} ` +
      `(queue ${config.SQS_QUEUE_URL} → stream ${config.KINESIS_STREAM_NAME})` +
      (config.METRICS_PORT > 0 ? `; metrics on http://${config.METRICS_HOST}:${config.METRICS_PORT}/metrics` : ''),
  );
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
}

run().catch((err) => {
  console.error(err instanceof PreflightError ? err.message : err);
  process.exit(1);
});
