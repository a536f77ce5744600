import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DEV_KEY_FILE } from '../codec/dev-key';

/** The folder holding package.json: the same from the sources (src/) and from the compiled build (dist/src/). */
function projectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(resolve(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return resolve(from, '..');
  }
}

const PROJECT_ROOT = projectRoot(__dirname);

/** KEY=VALUE lines: `#` comments, blank lines and a leading `export` ignored; quotes or a trailing ` # comment` removed. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    const key = match[1] ?? '';
    const value = match[2] ?? '';
    const quoted = /^(['"])(.*)\1$/.exec(value);
    out[key] = quoted ? (quoted[2] ?? '') : value.replace(/\s+#.*$/, '');
  }
  return out;
}

export interface LoadEnvFilesOptions {
  env?: NodeJS.ProcessEnv;
  root?: string;
}

/**
 * Local convenience for every entry point: `.env.example` holds the local stack's defaults, the local payload key that
 * `npm run stack` writes (`$STACK_DIR/payload-keys.env`) comes next, `.env` overrides both, and variables already in
 * the environment win over all of them. Deployments set ENV_FILES=off and pass real configuration.
 */
export function loadEnvFiles({ env = process.env, root = PROJECT_ROOT }: LoadEnvFilesOptions = {}): void {
  if (env.ENV_FILES === 'off') return;
  const merged: Record<string, string> = {};
  const devKeyFile = resolve(root, env.STACK_DIR ?? '.stack', DEV_KEY_FILE);
  for (const path of [resolve(root, '.env.example'), devKeyFile, resolve(root, '.env')]) {
    if (existsSync(path)) Object.assign(merged, parseEnvFile(readFileSync(path, 'utf8')));
  }
  for (const [key, value] of Object.entries(merged)) {
    if (env[key] === undefined) env[key] = value;
  }
}
