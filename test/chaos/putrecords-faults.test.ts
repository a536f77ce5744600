import { PUT_RECORDS_NAMED_FAULTS } from '../../tools/chaos/scenarios';
import { runChaosTest } from './run-chaos-test';

// CI size of `npm run chaos -- --scenario putrecords-faults`: 20 % of PutRecords entries failing, plus request
// throttles, 5xx, lying 200 answers, hangs and resets, on Kinesis and SQS.
runChaosTest('putrecords-faults', (result) => {
  const injected = (rule: string): number =>
    result.injected.filter((i) => i.rule === rule).reduce((sum, i) => sum + i.injected, 0);
  expect(injected('putRecordsEntries')).toBeGreaterThan(50);
  expect(injected('throttle')).toBeGreaterThan(0);
  expect(injected('serverError')).toBeGreaterThan(0);
  // Each named fault fired, by its own rule's counter in the proxy.
  for (const name of Object.values(PUT_RECORDS_NAMED_FAULTS)) expect([name, injected(name)]).not.toEqual([name, 0]);
});
