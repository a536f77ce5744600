import { runChaosTest } from './run-chaos-test';

// CI size of `npm run chaos -- --scenario temporal-restart`: a private Temporal dev server (its own SQLite file and
// ports, never the shared one) SIGKILLed mid-publish, down 10 s, restarted on the same file. The worker process and the
// runner's start/result calls must find it again by themselves, and the runs that held messages at the kill go on.
runChaosTest('temporal-restart', (result) => {
  const evidence = Object.fromEntries(result.evidence.map((e) => [e.label, e.value]));
  expect(evidence['messages held by runs when Temporal was killed']).toBeGreaterThan(0);
  expect(evidence['DeleteMessageBatch requests after the kill']).toBeGreaterThan(0);
});
