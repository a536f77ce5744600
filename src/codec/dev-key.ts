import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KEY_BYTES } from './keys';

/** The file `npm run stack` writes into the git-ignored state folder and every entry point reads (src/config/env-files.ts). */
export const DEV_KEY_FILE = 'payload-keys.env';

export interface DevKeyResult {
  path: string;
  created: boolean;
  keyId: string | null;
}

/**
 * A payload key for local development, created once and then left alone: a new key on every `npm run stack` would
 * make the histories already in .stack/temporal.db unreadable. Written owner-only (0600).
 */
export function ensureDevPayloadKey(stackDir: string, now: Date = new Date()): DevKeyResult {
  const path = join(stackDir, DEV_KEY_FILE);
  if (existsSync(path)) return { path, created: false, keyId: null };
  const keyId = `dev-${now.toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(3).toString('hex')}`;
  const key = randomBytes(KEY_BYTES).toString('base64');
  mkdirSync(stackDir, { recursive: true });
  writeFileSync(
    path,
    '# Local development payload key, written by `npm run stack` (docs/confidentiality.md). Git-ignored; never use it\n' +
      "# outside this machine. Deleting it makes the encrypted payloads in this folder's temporal.db unreadable.\n" +
      `PAYLOAD_KEYS=${keyId}:${key}\nPAYLOAD_ACTIVE_KEY_ID=${keyId}\n`,
    { mode: 0o600, flag: 'wx' },
  );
  return { path, created: true, keyId };
}
