import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

// Layers point down: activities/ and src/contracts/ (what workflows and activities share) never import workflows/, and
// src/ never imports activities/ except the worker composition that registers them. eslint.config.mjs enforces both
// at lint time; this also covers type-only imports and the contracts.

const ROOT = resolve(__dirname, '../../..');
const IMPORT = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/g;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

export function importsInto(folder: string, file: string, text: string): string[] {
  return [...text.matchAll(IMPORT)]
    .map((match) => match[1] ?? '')
    .filter((specifier) => specifier.startsWith('.'))
    .filter((specifier) => relative(ROOT, resolve(file, '..', specifier)).split(/[\\/]/)[0] === folder);
}

const COMPOSITION_ROOT = 'src/worker/pipeline-workers.ts';

describe('layers', () => {
  it('recognises an import into a folder', () => {
    const file = join(ROOT, 'activities/example.ts');
    expect(importsInto('workflows', file, "import type { X } from '../workflows/drain-queue';")).toEqual([
      '../workflows/drain-queue',
    ]);
    expect(importsInto('workflows', file, "import { y } from '../src/contracts/batch-steps';")).toEqual([]);
    expect(importsInto('activities', join(ROOT, 'src/dlq/x.ts'), "import { z } from '../../activities';")).toEqual([
      '../../activities',
    ]);
  });

  const files = [...tsFiles(join(ROOT, 'activities')), ...tsFiles(join(ROOT, 'src/contracts'))];
  it.each(files.map((file) => [relative(ROOT, file), file]))('%s imports nothing from workflows/', (_name, file) => {
    expect(importsInto('workflows', file, readFileSync(file, 'utf8'))).toEqual([]);
  });

  const srcFiles = tsFiles(join(ROOT, 'src')).filter((file) => relative(ROOT, file) !== COMPOSITION_ROOT);
  it.each(srcFiles.map((file) => [relative(ROOT, file), file]))(
    '%s imports nothing from activities/',
    (_name, file) => {
      expect(importsInto('activities', file, readFileSync(file, 'utf8'))).toEqual([]);
    },
  );
});
