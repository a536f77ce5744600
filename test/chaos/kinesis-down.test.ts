import { runChaosTest } from './run-chaos-test';

// CI size of `npm run chaos -- --scenario kinesis-down`: the Kinesis emulator unreachable for 20 s mid-publish.
runChaosTest('kinesis-down');
