import { monitorDlqDepth } from '../../../src/dlq/gauges';

describe('DLQ depth gauge', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('sets the depth every poll, warns once per distinct failure and keeps the last value meanwhile', async () => {
    const answers: (number | Error)[] = [3, new Error('throttled'), new Error('throttled'), new Error('gone'), 0];
    const set = jest.fn();
    const warn = jest.fn();
    const stop = monitorDlqDepth({
      read: () => {
        const next = answers.shift();
        return next instanceof Error || next === undefined
          ? Promise.reject(next ?? new Error('no more answers'))
          : Promise.resolve({ value: next, tags: { dlq: 'd' } });
      },
      gauge: { set },
      pollMs: 1000,
      warn,
    });
    for (let i = 0; i < 4; i++) await jest.advanceTimersByTimeAsync(1000);
    stop();
    await jest.advanceTimersByTimeAsync(5000);
    expect(set.mock.calls).toEqual([
      [3, { dlq: 'd' }],
      [0, { dlq: 'd' }],
    ]);
    expect(warn.mock.calls).toEqual([
      ['dead-letter queue depth not read: throttled'],
      ['dead-letter queue depth not read: gone'],
    ]);
  });
});
