import {
  lyingPutRecordsResponse,
  mergePutRecordsResponse,
  mergeSqsBatchResponse,
  survivingPutRecords,
  survivingSqsBatch,
} from '../../../tools/chaos/proxy/entry-faults';
import { ActiveRule } from '../../../tools/chaos/proxy/rules';

const request = {
  StreamName: 's',
  Records: ['a', 'b', 'c'].map((d) => ({ Data: Buffer.from(d).toString('base64'), PartitionKey: 'k' })),
};

describe('entry faults (pure)', () => {
  it('forwards only the surviving records and keeps the other fields', () => {
    expect(survivingPutRecords(request, new Set([1]))).toEqual({
      StreamName: 's',
      Records: [request.Records[0], request.Records[2]],
    });
    expect(survivingPutRecords(request, new Set([0, 1, 2]))).toBeUndefined();
  });

  it('rebuilds the answer in the original order; a missing upstream result counts as failed, never as success', () => {
    const merged = mergePutRecordsResponse(
      3,
      new Set([0]),
      { FailedRecordCount: 0, Records: [{ SequenceNumber: '7', ShardId: 'shardId-0' }] },
      () => 'InternalFailure',
    );
    expect(merged.Records.map((r) => r.SequenceNumber ?? r.ErrorCode)).toEqual([
      'InternalFailure',
      '7',
      'InternalFailure',
    ]);
    expect(merged.FailedRecordCount).toBe(2);
  });

  it('lies: every entry failed, FailedRecordCount 0', () => {
    const lie = lyingPutRecordsResponse(2, 'ProvisionedThroughputExceededException');
    expect(lie.FailedRecordCount).toBe(0);
    expect(lie.Records.every((r) => r.ErrorCode === 'ProvisionedThroughputExceededException')).toBe(true);
  });

  it('SQS batches: failed entries are not forwarded and come back in Failed[] as retryable', () => {
    const batch = {
      QueueUrl: 'q',
      Entries: [
        { Id: '0', ReceiptHandle: 'x' },
        { Id: '1', ReceiptHandle: 'y' },
      ],
    };
    expect(survivingSqsBatch(batch, new Set([1]))).toEqual({ QueueUrl: 'q', Entries: [batch.Entries[0]] });
    expect(mergeSqsBatchResponse(batch, new Set([1]), { Successful: [{ Id: '0' }] }, 'InternalError')).toEqual({
      Successful: [{ Id: '0' }],
      Failed: [{ Id: '1', SenderFault: false, Code: 'InternalError', Message: 'injected failure' }],
    });
  });
});

describe('rule bounds', () => {
  it('stops at its count and after its duration', () => {
    const rule = new ActiveRule({ fault: { kind: 'throttle' }, limit: { count: 2, durationMs: 1_000 } }, 0);
    expect(rule.applies('PutRecords', 10) && rule.selectRequest()).toBe(true);
    expect(rule.applies('PutRecords', 10) && rule.selectRequest()).toBe(true);
    expect(rule.applies('PutRecords', 10)).toBe(false);
    const timed = new ActiveRule({ fault: { kind: 'throttle' }, limit: { durationMs: 1_000 } }, 0);
    expect(timed.applies('ListStreams', 999)).toBe(true);
    expect(timed.applies('ListStreams', 1_000)).toBe(false);
  });

  it('always has a time bound, and matches only its operations', () => {
    const rule = new ActiveRule({ operations: ['PutRecords'], fault: { kind: 'reset' } }, 0);
    expect(rule.expiresAtMs).toBeGreaterThan(0);
    expect(rule.applies('ListStreams', 1)).toBe(false);
    expect(rule.applies('PutRecords', 1)).toBe(true);
  });

  it('every n-th entry is counted across requests; the budget caps the entries', () => {
    const rule = new ActiveRule(
      { fault: { kind: 'sqsBatchEntries', entries: { mode: 'every', n: 2 } }, limit: { count: 3 } },
      0,
    );
    expect([...rule.selectEntries(3)]).toEqual([1]);
    expect([...rule.selectEntries(3)]).toEqual([0, 2]);
    expect([...rule.selectEntries(3)]).toEqual([]);
  });
});
