import { runChaosTest } from './run-chaos-test';

// CI size of `npm run chaos -- --scenario delete-faults`: DeleteMessageBatch entries (30 %) and whole requests failing;
// the failed entries are not forwarded, so those messages really stay until a retried delete removes them.
runChaosTest('delete-faults', (result) => {
  const failedEntries = result.injected.find((i) => i.rule === 'sqsBatchEntries')?.injected ?? 0;
  expect(failedEntries).toBeGreaterThan(20);
});
