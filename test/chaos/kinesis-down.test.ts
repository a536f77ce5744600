import { runChaosTest } from './run-chaos-test';

// CI size of `npm run chaos -- --scenario kinesis-down`: the Kinesis emulator unreachable (every request refused) for 20 s
// once publishing is under way. The fault must hit work in flight: messages held when Kinesis went down, PutRecords still needed after.
runChaosTest('kinesis-down', (result) => {
  const evidence = Object.fromEntries(result.evidence.map((e) => [e.label, e.value]));
  expect(evidence['messages held by runs when Kinesis went down']).toBeGreaterThan(0);
  expect(evidence['PutRecords requests after Kinesis came back']).toBeGreaterThan(0);
  // Requests the proxy itself refused during the outage: the pipeline really tried to reach Kinesis then.
  expect(evidence['PutRecords requests refused during the outage']).toBeGreaterThan(0);
});
