import { runChaosTest } from './run-chaos-test';

// CI size of `npm run chaos -- --scenario slow-publish-lease-lost`: the control of slow-publish. Every lease extension
// fails, so messages whose PutRecords is slow reappear and other lanes publish them again: duplicates appear, always
// with the same event_id, and nothing is lost or reordered.
runChaosTest('slow-publish-lease-lost', (result) => {
  expect(result.injected.find((i) => i.rule === 'sqsBatchEntries')?.injected ?? 0).toBeGreaterThan(0);
});
