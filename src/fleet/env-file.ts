import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

// Minimal dotenv: `.env.example` holds the defaults, `.env` overrides them, and the real environment wins over both.

export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    const key = match[1] ?? '';
    let value = match[2] ?? '';
    const quoted = /^(['"])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2] ?? '';
    else value = value.replace(/\s+#.*$/, '');
    out[key] = value;
  }
  return out;
}

const PROJECT_ROOT = resolve(__dirname, '..', '..');

export function loadEnvFiles(dir: string = PROJECT_ROOT, env: NodeJS.ProcessEnv = process.env): void {
  const merged: Record<string, string> = {};
  for (const name of ['.env.example', '.env']) {
    const path = resolve(dir, name);
    if (existsSync(path)) Object.assign(merged, parseEnvFile(readFileSync(path, 'utf8')));
  }
  for (const [key, value] of Object.entries(merged)) {
    if (env[key] === undefined) env[key] = value;
  }
}
