import { runChaosTest } from './run-chaos-test';

// CI size of `npm run chaos -- --scenario slow-publish`: every PutRecords takes 12 s, longer than the 10 s visibility
// timeout. The lease (visibility extended every third of the timeout) keeps the messages hidden: no redelivery, so not a
// single duplicate although lanes keep receiving while others publish.
runChaosTest('slow-publish', (result) => {
  expect(result.injected.find((i) => i.rule === 'latency')?.injected ?? 0).toBeGreaterThan(0);
  expect(result.duplicatesSameId).toBe(0);
});
