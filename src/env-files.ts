import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const PROJECT_ROOT = resolve(__dirname, '..');

/** Parses KEY=VALUE lines; `#` comments and blank lines ignored, surrounding quotes stripped. */
export function parseEnvFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match || line.trimStart().startsWith('#')) continue;
    const [, key, raw] = match;
    if (key === undefined || raw === undefined) continue;
    values[key] = raw.replace(/^(['"])(.*)\1$/, '$2');
  }
  return values;
}

/**
 * Local convenience: fills unset variables from `.env`, then from `.env.example` (the local stack's defaults).
 * Variables already in the environment always win. Deployments set ENV_FILES=off and pass real configuration.
 */
export function loadEnvFiles(env: NodeJS.ProcessEnv = process.env, root = PROJECT_ROOT): void {
  if (env.ENV_FILES === 'off') return;
  for (const name of ['.env', '.env.example']) {
    const path = resolve(root, name);
    if (!existsSync(path)) continue;
    for (const [key, value] of Object.entries(parseEnvFile(readFileSync(path, 'utf8')))) {
      if (env[key] === undefined) env[key] = value;
    }
  }
}
