import { advanceProgress, eventIdOf, timeCreatedOf, withTimeCreated } from '../../src/publish/stream-resume';

/** A record as the transform writes it: the event id after the event's own fields (time_created may differ). */
const record = (id: string, time = '2026-12-06T00:00:00.000Z'): string =>
  JSON.stringify({ cmdl: 'x', user: 'u', type: 'new_process', event_id: id, device_id: 'd', time_created: time });
const id = (name: string): string => `00000000-0000-5000-8000-${name.padStart(12, '0')}`;

describe('advanceProgress (a publish skipping what is already on the stream)', () => {
  const submissions = [
    { messageId: 'a', partitionKey: 'p', records: ['a0', 'a1', 'a2', 'a3'].map((n) => record(id(n))) },
    { messageId: 'b', partitionKey: 'p', records: ['b0', 'b1'].map((n) => record(id(n))) },
    { messageId: 'c', partitionKey: 'p', records: ['c0'].map((n) => record(id(n))) },
  ];
  const seen = (...names: string[]): Set<string> => new Set(names.map(id));

  it('moves each submission past the unbroken run of found events after its progress', () => {
    const progress = { a: 1, b: 0 };
    const found = advanceProgress(submissions, progress, seen('a0', 'a1', 'a2', 'b0', 'b1'));
    expect(progress).toEqual({ a: 3, b: 2 });
    expect(found).toBe(4);
  });

  it('stops at the first event not found, even when later ones are there (order first: G2)', () => {
    const progress = { a: 0 };
    const found = advanceProgress(submissions, progress, seen('a1', 'a2', 'c0'));
    expect(progress).toEqual({ a: 0, c: 1 });
    expect(found).toBe(1);
  });

  it('changes nothing when nothing was found', () => {
    const progress = { a: 2 };
    expect(advanceProgress(submissions, progress, new Set())).toBe(0);
    expect(progress).toEqual({ a: 2 });
  });
});

describe('eventIdOf', () => {
  it('reads the event id of a record, whatever its time_created (a redelivered copy is found by id)', () => {
    expect(eventIdOf(record(id('1'), '2026-12-06T10:00:00.000Z'))).toBe(id('1'));
    expect(eventIdOf(record(id('1'), '2026-12-07T11:11:11.111Z'))).toBe(id('1'));
    expect(eventIdOf('{"type":"new_process"}')).toBeUndefined();
  });
});

describe('timeCreatedOf / withTimeCreated', () => {
  it('reads and replaces the processing time, nothing else, even when a value quotes the key', () => {
    const tricky = JSON.stringify({
      cmdl: 'echo "time_created":"2000-01-01T00:00:00.000Z"',
      user: 'u',
      type: 'new_process',
      event_id: id('1'),
      device_id: 'd',
      time_created: '2026-12-07T11:11:11.111Z',
    });
    expect(timeCreatedOf(tricky)).toBe('2026-12-07T11:11:11.111Z');
    const rewritten = withTimeCreated(tricky, '2026-12-06T10:00:00.000Z');
    expect(JSON.parse(rewritten)).toEqual({ ...JSON.parse(tricky), time_created: '2026-12-06T10:00:00.000Z' });
    expect(rewritten).toHaveLength(tricky.length);
  });
});
