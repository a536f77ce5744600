import { runChaosTest } from './run-chaos-test';

// CI size of `npm run chaos -- --scenario sqs-latency`: SQS answers DeleteMessageBatch, ChangeMessageVisibilityBatch
// and SendMessageBatch 20 s late for a minute once publishing is under way. A delete of a full batch is several such
// requests in a row: the delete and drop activities must heartbeat per request (issue 10, item 5); one that misses its
// 45 s heartbeat timeout is retried, and this test fails on it. The delays must have hit deletes in flight, or the run
// proves nothing.
runChaosTest(
  'sqs-latency',
  (result) => {
    expect(result.evidence.find((e) => e.label === 'DeleteMessageBatch answers delayed')?.value).toBeGreaterThan(0);
    expect(result.activities['deleteMessages']).toMatchObject({ retried: 0, heartbeatTimeouts: 0 });
    expect(result.activities['dropInvalidSubmissions']).toMatchObject({ retried: 0, heartbeatTimeouts: 0 });
  },
  { drainTimeoutMs: 240_000 },
);
