import { runChaosTest } from './run-chaos-test';

// CI size of `npm run chaos -- --scenario temporal-restart`: a private Temporal dev server (its own SQLite file and
// ports, never the shared one) SIGKILLed mid-publish, down 10 s, restarted on the same file. The worker process and the
// runner's start/result calls must find it again by themselves.
runChaosTest('temporal-restart', (result) => {
  const restarts = result.injected.filter((i) => i.proxy === 'runner' && i.rule.startsWith('Temporal SIGKILLed'));
  expect(restarts.reduce((sum, i) => sum + i.injected, 0)).toBeGreaterThanOrEqual(1);
});
