import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

// Layers point down: activities/ and src/contracts/ (what workflows and activities share) never import workflows/.
// eslint.config.mjs enforces it for activities/ at lint time; this also covers type-only imports and the contracts.

const ROOT = resolve(__dirname, '../../..');
const IMPORT = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/g;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

export function importsIntoWorkflows(file: string, text: string): string[] {
  return [...text.matchAll(IMPORT)]
    .map((match) => match[1] ?? '')
    .filter((specifier) => specifier.startsWith('.'))
    .filter((specifier) => relative(ROOT, resolve(file, '..', specifier)).split(/[\\/]/)[0] === 'workflows');
}

describe('layers', () => {
  it('recognises an import into workflows/', () => {
    const file = join(ROOT, 'activities/example.ts');
    expect(importsIntoWorkflows(file, "import type { X } from '../workflows/drain-queue';")).toEqual([
      '../workflows/drain-queue',
    ]);
    expect(importsIntoWorkflows(file, "import { y } from '../src/contracts/batch-steps';")).toEqual([]);
  });

  const files = [...tsFiles(join(ROOT, 'activities')), ...tsFiles(join(ROOT, 'src/contracts'))];
  it.each(files.map((file) => [relative(ROOT, file), file]))('%s imports nothing from workflows/', (_name, file) => {
    expect(importsIntoWorkflows(file, readFileSync(file, 'utf8'))).toEqual([]);
  });
});
