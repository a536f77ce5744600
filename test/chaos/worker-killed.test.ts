import { runChaosTest } from './run-chaos-test';

// CI size of `npm run chaos -- --scenario worker-killed`: a worker process SIGKILLed mid-publish while a second one runs.
runChaosTest('worker-killed');
