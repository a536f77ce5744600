import { ensureDevPayloadKey } from '../../src/codec/dev-key';

// Called by scripts/stack-up.sh: tsx scripts/lib/payload-dev-key.ts STACK_DIR. Prints the key id, never the key.
function run(): void {
  const stackDir = process.argv[2];
  if (stackDir === undefined || stackDir === '--help' || stackDir === '-h') {
    console.log('usage: tsx scripts/lib/payload-dev-key.ts STACK_DIR  (writes STACK_DIR/payload-keys.env once)');
    process.exit(stackDir === undefined ? 1 : 0);
  }
  const result = ensureDevPayloadKey(stackDir);
  console.log(
    result.created
      ? `[stack] payload key ${result.keyId} written to ${result.path} (local development only)`
      : `[stack] payload key: keeping ${result.path}`,
  );
}

run();
