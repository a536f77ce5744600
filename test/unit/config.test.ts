import { ConfigError, loadConfig } from '../../src/config/environment';
import { durationToMs } from '../../src/config/duration';

const minimal = { SQS_QUEUE_URL: 'http://127.0.0.1:9324/000000000000/submissions', KINESIS_STREAM_NAME: 'events' };

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({ ...minimal });
    expect(config).toMatchObject({
      MAX_NUMBER_OF_MESSAGES: 10,
      VISIBILITY_TIMEOUT_SECONDS: 120,
      SCHEDULE_INTERVAL: '30s',
      TEMPORAL_TASK_QUEUE: 'telemetry-preprocessor',
      PARTITION_KEY: 'device_id',
      INCLUDE_PROVENANCE: false,
      LOG_LEVEL: 'INFO',
    });
  });

  it.each([
    ['MAX_NUMBER_OF_MESSAGES', '11', /MAX_NUMBER_OF_MESSAGES must be 1–10 \(got "11"\)/],
    ['MAX_NUMBER_OF_MESSAGES', '0', /MAX_NUMBER_OF_MESSAGES must be 1–10/],
    ['MAX_NUMBER_OF_MESSAGES', 'ten', /MAX_NUMBER_OF_MESSAGES must be an integer 1–10/],
    ['VISIBILITY_TIMEOUT_SECONDS', '50000', /VISIBILITY_TIMEOUT_SECONDS must be 10–43200/],
    ['SCHEDULE_INTERVAL', 'often', /SCHEDULE_INTERVAL must be a duration such as 30s/],
    ['PARTITION_KEY', 'user', /PARTITION_KEY must be one of device_id, submission_id/],
    ['SQS_QUEUE_URL', 'not a url', /SQS_QUEUE_URL must be the URL of the submissions queue/],
    ['LOG_LEVEL', 'verbose', /LOG_LEVEL must be one of TRACE, DEBUG, INFO, WARN, ERROR/],
  ])('rejects %s=%s naming the variable and the allowed values', (name, value, message) => {
    expect(() => loadConfig({ ...minimal, [name]: value })).toThrow(message);
  });

  it('takes the worker log threshold from LOG_LEVEL', () => {
    expect(loadConfig({ ...minimal, LOG_LEVEL: 'DEBUG' }).LOG_LEVEL).toBe('DEBUG');
  });

  it('reports a missing required variable as unset, and every problem at once', () => {
    let error: unknown;
    try {
      loadConfig({ MAX_NUMBER_OF_MESSAGES: '99' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = String(error);
    expect(text).toMatch(/SQS_QUEUE_URL .*\(unset\)/);
    expect(text).toMatch(/KINESIS_STREAM_NAME .*\(unset\)/);
    expect(text).toMatch(/MAX_NUMBER_OF_MESSAGES must be 1–10/);
  });
});

describe('durations', () => {
  it('converts Temporal-style durations', () => {
    expect(durationToMs('30s')).toBe(30_000);
    expect(durationToMs('1h30m')).toBe(5_400_000);
    expect(durationToMs('')).toBeNaN();
    expect(durationToMs('5x')).toBeNaN();
  });
});

describe('loadConfig: Temporal TLS and API key', () => {
  it('defaults to plain text without credentials (the local dev server)', () => {
    const config = loadConfig({ ...minimal });
    expect(config.TEMPORAL_TLS).toBe(false);
    expect(config.TEMPORAL_API_KEY).toBeUndefined();
  });

  it('refuses a client certificate without its key, naming both variables', () => {
    expect(() => loadConfig({ ...minimal, TEMPORAL_TLS_CLIENT_CERT_PATH: '/etc/temporal/client.pem' })).toThrow(
      /TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH must be set together/,
    );
  });

  it('never echoes a bad API key in the error', () => {
    const secret = 'tmprl-secret-ABC123\n';
    let text = '';
    try {
      loadConfig({ ...minimal, TEMPORAL_API_KEY: secret });
    } catch (err) {
      text = String(err);
    }
    expect(text).toMatch(/TEMPORAL_API_KEY must be one token .*\(set, value hidden\)/);
    expect(text).not.toContain('tmprl-secret');
  });
});

describe('loadConfig: validation limits', () => {
  it('reads the limits from the environment with the documented defaults', () => {
    expect(loadConfig({ ...minimal })).toMatchObject({
      MAX_BODY_BYTES: 262_144,
      MAX_EVENTS_PER_SUBMISSION: 1000,
      MAX_FIELD_LENGTH: 8192,
      MAX_NESTING_DEPTH: 32,
      MAX_RECORD_BYTES: 1_048_576,
    });
    expect(loadConfig({ ...minimal, MAX_EVENTS_PER_SUBMISSION: '50' }).MAX_EVENTS_PER_SUBMISSION).toBe(50);
  });

  it('names a bad limit and its range', () => {
    expect(() => loadConfig({ ...minimal, MAX_BODY_BYTES: '2000000' })).toThrow(
      /MAX_BODY_BYTES must be 1–1048576 \(got "2000000"\)/,
    );
  });
});
