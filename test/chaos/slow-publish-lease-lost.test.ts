import { runChaosTest } from './run-chaos-test';

// CI size of `npm run chaos -- --scenario slow-publish-lease-lost`: the control of slow-publish, identical but for the
// lease (every visibility extension fails). Messages whose PutRecords is slow reappear and are received again — the
// redelivery the lease prevents in the treatment — and nothing is lost or reordered (duplicates keep their event_id).
runChaosTest('slow-publish-lease-lost', (result) => {
  const evidence = Object.fromEntries(result.evidence.map((e) => [e.label, e.value]));
  expect(evidence['visibility extensions failed']).toBeGreaterThan(0);
  expect(evidence['PutRecords slowed past the visibility timeout']).toBeGreaterThan(0);
  expect(result.redelivered).toBeGreaterThan(0);
});
