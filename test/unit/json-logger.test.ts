import { formatLogEntry } from '../../src/json-logger';

describe('formatLogEntry', () => {
  it('writes one JSON line, escaping control characters from sensor data', () => {
    const line = formatLogEntry({
      level: 'WARN',
      message: 'invalid submission dropped',
      timestampNanos: 1_700_000_000_000_000_000n,
      meta: { detail: 'user: "evil\n{"level":"INFO"}\u001b[31m"', workflowId: 'w-1' },
    });
    expect(line).not.toMatch(/[\n\r\u001b]/);
    expect(JSON.parse(line)).toEqual({
      time: '2023-11-14T22:13:20.000Z',
      level: 'WARN',
      message: 'invalid submission dropped',
      detail: 'user: "evil\n{"level":"INFO"}\u001b[31m"',
      workflowId: 'w-1',
    });
  });

  it('never prints credentials, however deeply they are nested', () => {
    const line = formatLogEntry({
      level: 'INFO',
      message: 'x',
      timestampNanos: 0n,
      meta: { aws: { secretAccessKey: 'AKIA-SECRET', sessionToken: 'tok' }, apiKey: 'k', authorization: 'Bearer abc' },
    });
    expect(line).not.toMatch(/AKIA-SECRET|tok"|Bearer abc/);
    expect(JSON.parse(line)).toMatchObject({
      aws: { secretAccessKey: '[redacted]', sessionToken: '[redacted]' },
      authorization: '[redacted]',
    });
  });
});
