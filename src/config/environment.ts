import { z } from 'zod';
import { validationLimitsEnvSchema } from '../domain/limits';
import { PARTITION_KEY_FIELDS } from '../domain/partition-key';
import { UNKNOWN_FIELD_POLICIES } from '../domain/unknown-fields';
import { DURATION_PATTERN, durationToMs } from './duration';

/**
 * Environment variables, parsed once at start-up. A bad value stops the process with a message that names the
 * variable and the allowed range, so a typo in a deployment never turns into a silently misbehaving pipeline.
 */
const intInRange = (min: number, max: number, fallback: number) =>
  z.coerce
    .number({ error: `must be an integer ${min}–${max}` })
    .int({ error: `must be an integer ${min}–${max}` })
    .min(min, { error: `must be ${min}–${max}` })
    .max(max, { error: `must be ${min}–${max}` })
    .default(fallback);

const optionalUrl = z.url({ error: 'must be a URL such as http://127.0.0.1:9324' }).optional();

const flag = (fallback: 'true' | 'false') =>
  z
    .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
    .default(fallback)
    .transform((v) => v === 'true' || v === '1');
const booleanFlag = flag('false');

export const configSchema = z
  .object({
    AWS_REGION: z.string().min(1).default('us-east-1'),
    AWS_ENDPOINT_URL: optionalUrl,
    AWS_ENDPOINT_URL_SQS: optionalUrl,
    AWS_ENDPOINT_URL_KINESIS: optionalUrl,
    SQS_QUEUE_URL: z.url({ error: 'must be the URL of the submissions queue' }),
    /** Optional: invalid submissions are copied here (body + reason) before deletion. */
    QUARANTINE_QUEUE_URL: z.url({ error: 'must be the URL of the quarantine queue' }).optional(),
    /** Optional: the dead-letter queue (npm run dlq, edr_dlq_messages); unset, the source queue's redrive policy names it. */
    SQS_DLQ_URL: z.url({ error: 'must be the URL of the dead-letter queue' }).optional(),
    /** How often the worker reads the DLQ depth for the edr_dlq_messages gauge; 0 turns it off. */
    DLQ_METRICS_POLL_SECONDS: intInRange(0, 3600, 60),
    KINESIS_STREAM_NAME: z
      .string({ error: 'must be set to the name of the events stream' })
      .regex(/^[a-zA-Z0-9_.-]{1,128}$/, { error: 'must be a Kinesis stream name (1–128 of a-z A-Z 0-9 _ . -)' }),
    TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_TASK_QUEUE: z.string().min(1).default('telemetry-preprocessor'),
    // Temporal Cloud or a TLS cluster; the names are the ones the `temporal` CLI reads, so one environment serves both.
    TEMPORAL_API_KEY: z
      .string()
      .regex(/^\S+$/, { error: 'must be one token without spaces or line breaks (check for a pasted newline)' })
      .optional(),
    TEMPORAL_TLS: booleanFlag,
    TEMPORAL_TLS_CLIENT_CERT_PATH: z.string().min(1).optional(),
    TEMPORAL_TLS_CLIENT_KEY_PATH: z.string().min(1).optional(),
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: z.string().min(1).optional(),
    TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
    MAX_NUMBER_OF_MESSAGES: intInRange(1, 10, 10),
    // SQS caps visibility at 12 hours.
    VISIBILITY_TIMEOUT_SECONDS: intInRange(10, 43_200, 120),
    SCHEDULE_INTERVAL: z
      .string()
      .regex(DURATION_PATTERN, { error: 'must be a duration such as 30s, 5m or 1h' })
      .refine((v) => durationToMs(v) >= 1000, { error: 'must be at least 1s' })
      .default('30s'),
    SCHEDULE_ID: z.string().min(1).default('telemetry-preprocessor'),
    PARTITION_KEY: z
      .enum(PARTITION_KEY_FIELDS, { error: `must be one of ${PARTITION_KEY_FIELDS.join(', ')}` })
      .default('device_id'),
    PARALLEL_LANES: intInRange(1, 64, 2),
    RECEIVES_PER_BATCH: intInRange(1, 100, 50),
    GATHER_MILLISECONDS: intInRange(0, 5_000, 500),
    /** Seeds a new schedule's run input `mode`: continuous (default) or drain (workflows/drain-input.ts). */
    RUN_MODE: z.enum(['continuous', 'drain'], { error: 'must be continuous or drain' }).default('continuous'),
    IDLE_WAIT_SECONDS: intInRange(1, 20, 20),
    RECEIVE_WAIT_SECONDS: intInRange(0, 20, 1),
    RUN_BUDGET_SECONDS: intInRange(5, 86_400, 300),
    INCLUDE_PROVENANCE: booleanFlag,
    /**
     * Seeds a new schedule's run input `searchAttributes` (later the operator's, like all tuning). The worker refuses
     * to start while the runs would set search attributes the namespace lacks (src/temporal/preflight-search-attributes.ts).
     */
    SEARCH_ATTRIBUTES: flag('true'),
    /** Seeds a new schedule's run input `unknownFields` (src/domain/unknown-fields.ts). */
    UNKNOWN_FIELDS: z
      .enum(UNKNOWN_FIELD_POLICIES, { error: `must be one of ${UNKNOWN_FIELD_POLICIES.join(', ')}` })
      .default('accept'),
    WORKER_MAX_CONCURRENT_ACTIVITIES: intInRange(1, 1000, 32),
    /**
     * Body bytes one worker holds for the batches it received (activities/message-hold.ts); a receive asks for less
     * when it is full. 0: a quarter of the process's heap limit.
     */
    WORKER_MAX_HELD_BYTES: intInRange(0, 2 ** 40, 0),
    /**
     * PutRecords requests one worker keeps in flight before the next waits to take the callers that come back
     * (src/publish/put-records-batcher.ts). 1 suits the single-threaded local emulator; on AWS more raise a worker's
     * throughput (docs/configuration.md).
     */
    PUT_RECORDS_IN_FLIGHT: intInRange(1, 64, 1),
    /** Prometheus endpoint of the worker (SDK and pipeline metrics at /metrics); 0 turns it off. */
    METRICS_PORT: intInRange(0, 65_535, 9464),
    METRICS_HOST: z.string().min(1).default('127.0.0.1'),
    /** The worker's log threshold: DEBUG also shows per-receive lines and the start-up notes kept out of INFO. */
    LOG_LEVEL: z
      .enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'], { error: 'must be one of TRACE, DEBUG, INFO, WARN, ERROR' })
      .default('INFO'),
    /** How often the worker reads the schedule's last completed run for the liveness gauges (G7); 0 turns it off. */
    SCHEDULE_HEALTH_POLL_SECONDS: intInRange(0, 3600, 60),
    // Validation limits (MAX_BODY_BYTES, MAX_EVENTS_PER_SUBMISSION, …), ranges shared with the options schema.
    ...validationLimitsEnvSchema.shape,
  })
  .refine((c) => (c.TEMPORAL_TLS_CLIENT_CERT_PATH === undefined) === (c.TEMPORAL_TLS_CLIENT_KEY_PATH === undefined), {
    error: 'and TEMPORAL_TLS_CLIENT_KEY_PATH must be set together (mTLS needs the certificate and its key)',
    path: ['TEMPORAL_TLS_CLIENT_CERT_PATH'],
  });

export type Config = z.infer<typeof configSchema>;

// Their values are never echoed in an error message: a typo must not put a credential into a deployment log.
const SECRET_VARIABLES: ReadonlySet<string> = new Set([
  'TEMPORAL_API_KEY',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
]);

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; throws ConfigError listing every bad variable with what it got. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = configSchema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '(environment)');
    const raw = env[name];
    const shown =
      raw === undefined
        ? 'unset'
        : SECRET_VARIABLES.has(name)
          ? 'set, value hidden'
          : `got ${JSON.stringify(raw.slice(0, 80))}`;
    return `  ${name} ${issue.message} (${shown})`;
  });
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}
