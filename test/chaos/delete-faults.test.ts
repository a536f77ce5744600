import { runChaosTest } from './run-chaos-test';

// CI size of `npm run chaos -- --scenario delete-faults`: DeleteMessageBatch entries (30 %) and whole requests failing;
// the failed entries are not forwarded, so those messages really stay until a retried delete removes them.
runChaosTest('delete-faults', (result) => {
  const failedEntries = result.injected.find((i) => i.rule === 'sqsBatchEntries')?.injected ?? 0;
  expect(failedEntries).toBeGreaterThan(20);
  // Every failed entry was sent again with its receipt handle and accepted (counted by the proxy, tools/chaos).
  const evidence = Object.fromEntries(result.evidence.map((e) => [e.label, e.value]));
  expect(evidence['failed DeleteMessageBatch entries retried with their receipt handle']).toBeGreaterThan(0);
});
