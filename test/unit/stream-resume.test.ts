import { advanceProgress } from '../../activities/stream-resume';

describe('advanceProgress (a retried publish skipping what is already on the stream)', () => {
  const submissions = [
    { messageId: 'a', partitionKey: 'p', records: ['a0', 'a1', 'a2', 'a3'] },
    { messageId: 'b', partitionKey: 'p', records: ['b0', 'b1'] },
    { messageId: 'c', partitionKey: 'p', records: ['c0'] },
  ];

  it('moves each submission past the unbroken run of found events after its progress', () => {
    const progress = { a: 1, b: 0 };
    const found = advanceProgress(submissions, progress, new Set(['a0', 'a1', 'a2', 'b0', 'b1']));
    expect(progress).toEqual({ a: 3, b: 2 });
    expect(found).toBe(4);
  });

  it('stops at the first event not found, even when later ones are there (order first: G2)', () => {
    const progress = { a: 0 };
    const found = advanceProgress(submissions, progress, new Set(['a1', 'a2', 'c0']));
    expect(progress).toEqual({ a: 0, c: 1 });
    expect(found).toBe(1);
  });

  it('changes nothing when nothing was found', () => {
    const progress = { a: 2 };
    expect(advanceProgress(submissions, progress, new Set())).toBe(0);
    expect(progress).toEqual({ a: 2 });
  });
});
