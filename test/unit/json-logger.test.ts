import { configSchema } from '../../src/config/environment';
import { formatLogEntry } from '../../src/worker/json-logger';

const line = (meta: Record<string, unknown>, message = 'x'): string =>
  formatLogEntry({ level: 'INFO', message, timestampNanos: 0n, meta });

/**
 * Every secret-bearing variable the project reads (src/config/environment.ts, the fleet's and the stack's AWS credentials) and
 * the `temporal` CLI's inline variants of the same settings (an operator may export them in the same environment).
 */
const SECRET_VARIABLES = [
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_CERT_DATA',
  'TEMPORAL_TLS_CLIENT_KEY_DATA',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'PAYLOAD_KEYS',
  'PAYLOAD_KEYS_FILE',
  'CODEC_SERVER_TOKEN',
] as const;

/** The rest of the configuration: printed as is (a logger that hides everything is no logger). */
const PLAIN_VARIABLES = [
  'AWS_REGION',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_SQS',
  'AWS_ENDPOINT_URL_KINESIS',
  'SQS_QUEUE_URL',
  'QUARANTINE_QUEUE_URL',
  'KINESIS_STREAM_NAME',
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_TASK_QUEUE',
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_SERVER_NAME',
  'MAX_NUMBER_OF_MESSAGES',
  'VISIBILITY_TIMEOUT_SECONDS',
  'SCHEDULE_INTERVAL',
  'SCHEDULE_ID',
  'SQS_DLQ_URL',
  'DLQ_METRICS_POLL_SECONDS',
  'SEARCH_ATTRIBUTES',
  'UNKNOWN_FIELDS',
  'SCHEDULE_HEALTH_POLL_SECONDS',
  'RUN_MODE',
  'IDLE_WAIT_SECONDS',
  'PARTITION_KEY',
  'PARALLEL_LANES',
  'RECEIVES_PER_BATCH',
  'GATHER_MILLISECONDS',
  'RECEIVE_WAIT_SECONDS',
  'RUN_BUDGET_SECONDS',
  'INCLUDE_PROVENANCE',
  'WORKER_MAX_CONCURRENT_ACTIVITIES',
  'WORKER_MAX_HELD_BYTES',
  'PUT_RECORDS_IN_FLIGHT',
  'METRICS_PORT',
  'METRICS_HOST',
  'LOG_LEVEL',
  'MAX_BODY_BYTES',
  'MAX_EVENTS_PER_SUBMISSION',
  'MAX_FIELD_LENGTH',
  'MAX_NESTING_DEPTH',
  'MAX_RECORD_BYTES',
] as const;

const camel = (name: string): string => name.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** A value no redaction could hit by accident: unique per variable. */
const secretFor = (name: string): string => `s3cr3t-${name.toLowerCase()}-9f1c`;

describe('formatLogEntry', () => {
  it('writes one JSON line, escaping control characters from sensor data', () => {
    const out = formatLogEntry({
      level: 'WARN',
      message: 'invalid submission dropped',
      timestampNanos: 1_700_000_000_000_000_000n,
      meta: { detail: 'user: "evil\n{"level":"INFO"}\u001b[31m"', workflowId: 'w-1' },
    });
    expect(out).not.toMatch(/[\n\r\u001b]/);
    expect(JSON.parse(out)).toEqual({
      time: '2023-11-14T22:13:20.000Z',
      level: 'WARN',
      message: 'invalid submission dropped',
      detail: 'user: "evil\n{"level":"INFO"}\u001b[31m"',
      workflowId: 'w-1',
    });
  });

  it('classifies every configuration variable as secret or plain (a new variable must be added to one list)', () => {
    const classified = new Set<string>([...SECRET_VARIABLES, ...PLAIN_VARIABLES]);
    expect(Object.keys(configSchema.shape).filter((name) => !classified.has(name))).toEqual([]);
  });

  describe.each(SECRET_VARIABLES)('%s', (name) => {
    const secret = secretFor(name);

    it.each([name, camel(name), name.toLowerCase()])('is redacted as the key %s, however deeply nested', (key) => {
      const out = line({ [key]: secret, nested: { deeper: [{ [key]: secret }] } });
      expect(out).not.toContain(secret);
      expect(JSON.parse(out)).toEqual({
        time: '1970-01-01T00:00:00.000Z',
        level: 'INFO',
        message: 'x',
        [key]: '[redacted]',
        nested: { deeper: [{ [key]: '[redacted]' }] },
      });
    });

    it.each([
      [`${name}=${secret}`, `${name}=[redacted]`],
      [`env: ${name}=${secret} AWS_REGION=us-east-1`, `env: ${name}=[redacted] AWS_REGION=us-east-1`],
      [`${name}: "${secret}"`, `${name}: "[redacted]"`],
      [`{"${camel(name)}":"${secret}","region":"eu"}`, `{"${camel(name)}":"[redacted]","region":"eu"}`],
    ])('is redacted in text: %s', (text, expected) => {
      const parsed: unknown = JSON.parse(line({ detail: text, error: new Error(text) }, text));
      expect(parsed).toEqual({
        time: '1970-01-01T00:00:00.000Z',
        level: 'INFO',
        message: expected,
        detail: expected,
        error: { name: 'Error', message: expected },
      });
    });
  });

  it.each([
    ['apiKey', 'k-123'],
    ['api_key', 'k-123'],
    ['x-api-key', 'k-123'],
    ['secretAccessKey', 'AKIA-SECRET'],
    ['sessionToken', 'tok-1'],
    ['privateKey', 'pk-1'],
    ['clientCertPair', { crt: 'c', key: 'k' }],
    ['key', 'k-1'],
    ['password', 'hunter2'],
    ['authorization', 'Bearer abc'],
    ['Cookie', 'sid=1'],
  ])('redacts the SDK-shaped key %s', (key, value) => {
    expect(JSON.parse(line({ [key]: value }))).toEqual({
      time: '1970-01-01T00:00:00.000Z',
      level: 'INFO',
      message: 'x',
      [key]: '[redacted]',
    });
  });

  it('redacts bearer tokens and PEM blocks inside text', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----';
    const out = line({ detail: `header Authorization Bearer eyJhbGciOi.abc rest; key ${pem} done` });
    expect(JSON.parse(out)).toMatchObject({
      detail: 'header Authorization Bearer [redacted] rest; key [redacted] done',
    });
  });

  it('keeps the values of plain configuration and of ordinary pipeline fields', () => {
    const meta = Object.fromEntries(PLAIN_VARIABLES.map((name) => [name, `v-${name}`]));
    const pipeline = { partitionKey: 'device_id', messageId: 'm-1', failed: ['InternalError'], events: 3 };
    expect(JSON.parse(line({ ...meta, ...pipeline }, 'PARTITION_KEY=device_id queue=q'))).toEqual({
      time: '1970-01-01T00:00:00.000Z',
      level: 'INFO',
      message: 'PARTITION_KEY=device_id queue=q',
      ...meta,
      ...pipeline,
    });
  });
});
