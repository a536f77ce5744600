import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { bundleWorkflows } from '../src/temporal/workflow-bundle';

/** `npm run build`'s last step: the workflow bundle production workers load (src/temporal/workflow-bundle.ts). */
async function main(): Promise<void> {
  const started = Date.now();
  const { code } = await bundleWorkflows();
  // Compiled code lives in dist/src; dist/workflow-bundle.js is what workflowSource() looks for from there.
  const target = resolve(__dirname, '..', 'dist', 'workflow-bundle.js');
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, code);
  console.log(`workflow bundle: ${target} (${(code.length / 1024).toFixed(0)} KiB, ${Date.now() - started} ms)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
