import { runChaosTest } from './run-chaos-test';

// CI size of `npm run chaos -- --scenario worker-killed`: a worker process SIGKILLed mid-publish while a second one
// runs. The kill must hit work in flight: requests the victim left unanswered, and an activity the survivor retried.
runChaosTest('worker-killed', (result) => {
  const evidence = Object.fromEntries(result.evidence.map((e) => [e.label, e.value]));
  expect(evidence['AWS requests the killed worker left unanswered']).toBeGreaterThan(0);
  expect(Object.values(result.activities).reduce((sum, a) => sum + a.retried, 0)).toBeGreaterThan(0);
});
