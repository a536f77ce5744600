import { runChaosTest } from './run-chaos-test';

// CI size of `npm run chaos -- --scenario slow-publish`, the treatment arm of one experiment (its control:
// slow-publish-lease-lost, same load and run input). Every third PutRecords takes 12 s, longer than the 10 s visibility
// timeout; the lease (visibility extended every third of the timeout) keeps the messages hidden: no message is
// received twice, so not a single duplicate, although lanes keep receiving while others publish.
runChaosTest('slow-publish', (result) => {
  expect(
    result.evidence.find((e) => e.label === 'PutRecords slowed past the visibility timeout')?.value,
  ).toBeGreaterThan(0);
  expect(result.redelivered).toBe(0);
  expect(result.duplicatesSameId).toBe(0);
});
