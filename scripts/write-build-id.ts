import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/**
 * `npm run build`'s last step: dist/build-id.txt, the Worker Deployment build id of this build (src/temporal/worker-versioning.ts).
 * A content hash of the emitted JavaScript (compiled service + prebuilt workflow bundle): the same code gives the same
 * version on every machine and every rebuild, any change of code gives a new one.
 */
const DIST = resolve(__dirname, '..', 'dist');

function javascriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return javascriptFiles(path);
    return entry.name.endsWith('.js') ? [path] : [];
  });
}

function main(): void {
  const hash = createHash('sha256');
  const files = javascriptFiles(DIST).sort();
  for (const file of files) {
    hash.update(relative(DIST, file));
    hash.update('\0');
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  const buildId = hash.digest('hex').slice(0, 16);
  writeFileSync(join(DIST, 'build-id.txt'), `${buildId}\n`);
  console.log(`build id: ${buildId} (${files.length} files; dist/build-id.txt)`);
}

main();
