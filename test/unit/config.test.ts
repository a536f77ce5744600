import { ConfigError, loadConfig } from '../../src/config';
import { durationToMs } from '../../src/duration';

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
  ])('rejects %s=%s naming the variable and the allowed values', (name, value, message) => {
    expect(() => loadConfig({ ...minimal, [name]: value })).toThrow(message);
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
