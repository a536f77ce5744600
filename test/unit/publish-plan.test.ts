import { applyResults, planRound, type AckProgress, type SubmissionRecords } from '../../src/publish/plan';

const submission = (messageId: string, count: number, partitionKey = 'device'): SubmissionRecords => ({
  messageId,
  partitionKey,
  records: Array.from({ length: count }, (_, i) => `${messageId}-e${i}`),
});

describe('planRound', () => {
  it('sends at most one unacknowledged record per submission per round', () => {
    const subs = [submission('a', 3), submission('b', 1), submission('c', 2)];
    const [request, ...rest] = planRound(subs, {});
    expect(rest).toHaveLength(0);
    expect(request?.map((e) => `${e.messageId}:${e.index}`)).toEqual(['a:0', 'b:0', 'c:0']);
  });

  it('continues each submission at its first unacknowledged record and skips finished ones', () => {
    const subs = [submission('a', 3), submission('b', 1), submission('c', 2)];
    const requests = planRound(subs, { a: 2, b: 1, c: 0 });
    expect(requests.flat().map((e) => `${e.messageId}:${e.index}`)).toEqual(['a:2', 'c:0']);
  });

  it('splits a round into requests by entry count and byte size', () => {
    const subs = Array.from({ length: 7 }, (_, i) => submission(`m${i}`, 1, 'k'));
    const byCount = planRound(subs, {}, { maxEntriesPerRequest: 3, maxBytesPerRequest: 1_000_000 });
    expect(byCount.map((r) => r.length)).toEqual([3, 3, 1]);
    // each entry is "mN-e0" (5 bytes) + "k" (1 byte) = 6 bytes
    const byBytes = planRound(subs, {}, { maxEntriesPerRequest: 500, maxBytesPerRequest: 13 });
    expect(byBytes.map((r) => r.length)).toEqual([2, 2, 2, 1]);
  });
});

describe('applyResults', () => {
  const subs = [submission('a', 2), submission('b', 2), submission('c', 2)];

  it('advances only entries with a sequence number and no error code, whatever the response claims overall', () => {
    const progress: AckProgress = {};
    const [request] = planRound(subs, progress);
    const outcome = applyResults(progress, request ?? [], [
      { SequenceNumber: '1', ShardId: 'shardId-0' },
      { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'slow down' },
      { SequenceNumber: '2', ErrorCode: 'InternalFailure' },
    ]);
    expect(progress).toEqual({ a: 1 });
    expect(outcome.acknowledged).toBe(1);
    expect(outcome.failed.map((f) => [f.entry.messageId, f.errorCode])).toEqual([
      ['b', 'ProvisionedThroughputExceededException'],
      ['c', 'InternalFailure'],
    ]);
  });

  it('treats missing result entries (e.g. a truncated response) as failed', () => {
    const progress: AckProgress = {};
    const [request] = planRound(subs, progress);
    const outcome = applyResults(progress, request ?? [], [{ SequenceNumber: '1' }]);
    expect(outcome.failed.map((f) => f.errorCode)).toEqual(['MissingResult', 'MissingResult']);
    const none = applyResults({}, request ?? [], undefined);
    expect(none.failed).toHaveLength(3);
  });

  it('keeps per-submission order across rounds with failures: a record is sent only after its predecessor is acked', () => {
    const many = [submission('a', 5), submission('b', 4)];
    const progress: AckProgress = {};
    const sentOrder: string[] = [];
    let round = 0;
    while (many.some((s) => (progress[s.messageId] ?? 0) < s.records.length)) {
      for (const request of planRound(many, progress)) {
        // A deterministic mix of failed and acknowledged entries.
        const results = request.map((entry, i) =>
          (round * 7 + i * 3) % 4 === 0 ? { ErrorCode: 'InternalFailure' } : { SequenceNumber: String(round) },
        );
        request.forEach((entry, i) => {
          if (!results[i]?.ErrorCode) sentOrder.push(`${entry.messageId}:${entry.index}`);
        });
        applyResults(progress, request, results);
      }
      round += 1;
      if (round > 100) throw new Error('no progress');
    }
    const orderOf = (id: string) => sentOrder.filter((s) => s.startsWith(`${id}:`)).map((s) => Number(s.split(':')[1]));
    expect(orderOf('a')).toEqual([0, 1, 2, 3, 4]);
    expect(orderOf('b')).toEqual([0, 1, 2, 3]);
  });
});
