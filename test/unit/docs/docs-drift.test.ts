import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { z } from 'zod';

// Docs drift: every `npm run <script>`, environment variable and repository path the README and docs/ mention must
// exist, so a reader never copies a command, setting or path that is not there. Service-free; runs in `npm test`.

const ROOT = resolve(__dirname, '../../..');
const DOCS = ['README.md', 'SECURITY.md', ...readdirSync(resolve(ROOT, 'docs')).map((f) => `docs/${f}`)].filter(
  (f) => f.endsWith('.md') && existsSync(resolve(ROOT, f)),
);
const CODE_DIRS = ['src', 'scripts', 'tools', 'workflows', 'activities', 'test', '.ci', 'deploy'];
/** Top-level folders whose paths the docs cite; a token starting with one of them is a repository path. */
const REPO_DIRS = ['src', 'docs', 'scripts', 'test', 'tools', 'workflows', 'activities', 'deploy', 'bench', '.ci'];
/** Set by the platform, the AWS SDK, Node or the shell, not read by name in this repository's code. */
const EXTERNAL_VARIABLES = new Set([
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_DEFAULT_REGION',
  'NODE_OPTIONS',
  // the temporal CLI's own
  'TEMPORAL_CODEC_ENDPOINT',
  'TEMPORAL_CODEC_AUTH',
  // the Kinesis emulator's own settings (docs/local-stack.md describes them; stack-up sets the ones it needs)
  'INITIALIZE_STREAMS',
  'SHARD_LIMIT',
  'PERSIST_FILE_NAME',
  'CREATE_STREAM_DURATION',
  // the SQS emulator's own
  'FAUXQS_LOG_LEVEL',
]);
/** Upper-case names the docs quote that are codes, not variables. */
const NOT_VARIABLES = new Set(['SQLITE_BUSY', 'WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND']);

function read(file: string): string {
  return readFileSync(resolve(ROOT, file), 'utf8');
}

function filesUnder(dir: string): string[] {
  const full = resolve(ROOT, dir);
  if (!existsSync(full)) return [];
  return readdirSync(full).flatMap((name) => {
    if (name === 'node_modules') return [];
    const path = join(full, name);
    return statSync(path).isDirectory() ? filesUnder(relative(ROOT, path)) : [path];
  });
}

const codeText = CODE_DIRS.flatMap(filesUnder)
  .filter((f) => /\.(ts|sh|js)$/.test(f))
  .map((f) => readFileSync(f, 'utf8'))
  .join('\n');

const scripts = z.object({ scripts: z.record(z.string(), z.string()) }).parse(JSON.parse(read('package.json'))).scripts;

function mentions(pattern: RegExp): { file: string; found: string }[] {
  return DOCS.flatMap((file) => [...read(file).matchAll(pattern)].map((m) => ({ file, found: m[1] ?? '' })));
}

/** A path as the docs write it (an anchor, a `:line` or a trailing dot dropped) exists in the working tree. */
function existsInRepo(path: string): boolean {
  const clean = path.replace(/[#:].*$/, '').replace(/[./]+$/, '');
  return existsSync(resolve(ROOT, clean));
}

/** `docs/benchmark.{md,svg}` is two paths; a `*` glob stands for its folder (`test/chaos/*.test.ts`). */
function expandAlternatives(path: string): string[] {
  const globbed = path.includes('*') ? path.slice(0, path.indexOf('*')).replace(/[^/]*$/, '') : path;
  const match = /^(.*)\{([\w,]+)\}(.*)$/.exec(globbed);
  if (!match) return [globbed];
  return (match[2] ?? '').split(',').map((alt) => `${match[1] ?? ''}${alt}${match[3] ?? ''}`);
}

describe('docs drift', () => {
  it('reads the README and the docs', () => {
    expect(DOCS).toContain('README.md');
    expect(DOCS.length).toBeGreaterThan(5);
  });

  it('keeps the README an entry point: at most 12 KB', () => {
    expect(Buffer.byteLength(read('README.md'), 'utf8')).toBeLessThanOrEqual(12 * 1024);
  });

  it('every `npm run <script>` mentioned exists in package.json', () => {
    const missing = mentions(/npm run ([a-z][\w:-]*\w)/g).filter(({ found }) => scripts[found] === undefined);
    expect(missing).toEqual([]);
  });

  it('every environment variable mentioned is read somewhere in the code', () => {
    const variables = mentions(/(?<![\w-])\$?\{?([A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9])\b/g).filter(
      ({ found }) => !EXTERNAL_VARIABLES.has(found) && !NOT_VARIABLES.has(found),
    );
    const missing = variables.filter(({ found }) => !new RegExp(`\\b${found}\\b`).test(codeText));
    expect(missing).toEqual([]);
  });

  it('every repository path mentioned exists', () => {
    const dirs = REPO_DIRS.map((d) => d.replace('.', '\\.')).join('|');
    // `*` globs are judged by their folder; `{a,b}` alternatives one by one (docs/benchmark.{md,svg}).
    const paths = mentions(new RegExp(`(?<![\\w./-])((?:${dirs})/[\\w./*-]*(?:\\{[\\w,]+\\})?[\\w/}]?)`, 'g'));
    const missing = paths.filter(({ found }) => !expandAlternatives(found).every(existsInRepo));
    expect(missing).toEqual([]);
  });

  it('judges paths strictly and expands alternatives one by one', () => {
    expect(existsInRepo('tools/no-such-tool/x.ts')).toBe(false);
    expect(existsInRepo('src/fleet/cli.ts')).toBe(false);
    expect(existsInRepo('tools/fleet/cli.ts')).toBe(true);
    expect(expandAlternatives('docs/benchmark.{md,svg}')).toEqual(['docs/benchmark.md', 'docs/benchmark.svg']);
  });
});
