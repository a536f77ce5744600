import { runChaosTest } from './run-chaos-test';

// CI size of `npm run chaos -- --scenario worker-killed`: a worker process SIGKILLed mid-publish while a second one
// runs. The kill must hit work in flight: requests the victim left unanswered, and an activity of its batches retried
// or timed out waiting to start on its queue (the batch abandoned, its messages redelivered to the survivor).
runChaosTest('worker-killed', (result) => {
  const evidence = Object.fromEntries(result.evidence.map((e) => [e.label, e.value]));
  expect(evidence['AWS requests the killed worker left unanswered']).toBeGreaterThan(0);
  const interrupted = Object.values(result.activities).reduce((sum, a) => sum + a.retried + a.workerGone, 0);
  expect(interrupted).toBeGreaterThan(0);
});
