import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * Payload keys from the environment, checked once at start-up (G8 confidentiality). Every message names the variable
 * and, for a bad entry, its position and key id; none ever contains key material, so an error log is safe to share.
 *
 *   PAYLOAD_KEYS           comma-separated `id:base64` pairs, each key 32 bytes (AES-256)
 *   PAYLOAD_KEYS_FILE      a file with the same pairs (commas or new lines, `#` comments): instead of PAYLOAD_KEYS
 *   PAYLOAD_ACTIVE_KEY_ID  the key new payloads are encrypted with; required when there is more than one key
 *   PAYLOAD_ENCRYPTION     `on` (default) or `off`: `off` writes payloads unencrypted, a conscious, documented choice
 *   NODE_ENV=production    outside local development a key is required unless PAYLOAD_ENCRYPTION=off
 */
export const KEY_BYTES = 32;
const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64_PATTERN = /^[A-Za-z0-9+/]+={0,2}$/;

export interface Keyring {
  activeKeyId: string;
  keys: ReadonlyMap<string, Buffer>;
}

export type PayloadKeySettings =
  | { encrypt: true; keyring: Keyring }
  /** `keyring` still decodes payloads written before encryption was turned off. */
  | {
      encrypt: false;
      reason: 'turned off by PAYLOAD_ENCRYPTION=off' | 'no key (local development)';
      keyring: Keyring | null;
    };

export class PayloadKeyConfigError extends Error {
  override readonly name = 'PayloadKeyConfigError';
}

const payloadKeyEnvSchema = z.object({
  PAYLOAD_KEYS: z.string().trim().min(1).optional(),
  PAYLOAD_KEYS_FILE: z.string().trim().min(1).optional(),
  PAYLOAD_ACTIVE_KEY_ID: z
    .string()
    .trim()
    .regex(KEY_ID_PATTERN, { error: 'must be a key id of 1–64 characters A-Z a-z 0-9 . _ -' })
    .optional(),
  PAYLOAD_ENCRYPTION: z.enum(['on', 'off'], { error: 'must be on or off' }).default('on'),
  NODE_ENV: z.string().optional(),
});

/** `id:base64` pairs → key map; problems are collected so one start-up shows them all. */
export function parseKeyList(text: string, variable: string): Map<string, Buffer> {
  const keys = new Map<string, Buffer>();
  const problems: string[] = [];
  const entries = text
    .split(/[,\n]/)
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line !== '');
  entries.forEach((entry, index) => {
    const where = `${variable}: entry ${index + 1}`;
    const colon = entry.indexOf(':');
    if (colon < 0) {
      problems.push(`${where} is not of the form id:base64key`);
      return;
    }
    const id = entry.slice(0, colon).trim();
    const encoded = entry.slice(colon + 1).trim();
    if (!KEY_ID_PATTERN.test(id)) {
      problems.push(`${where}: the key id must be 1–64 characters A-Z a-z 0-9 . _ -`);
      return;
    }
    const key = BASE64_PATTERN.test(encoded) ? Buffer.from(encoded, 'base64') : null;
    if (key === null || key.length !== KEY_BYTES) {
      problems.push(`${where} (id "${id}"): the key must be ${KEY_BYTES} bytes in base64 (44 characters)`);
    } else if (keys.has(id)) {
      problems.push(`${where}: key id "${id}" appears twice`);
    } else {
      keys.set(id, key);
    }
  });
  if (entries.length === 0) problems.push(`${variable}: no keys (expected id:base64key, comma-separated)`);
  if (problems.length > 0) throw new PayloadKeyConfigError(problems.join('; '));
  return keys;
}

function readKeyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'unreadable';
    throw new PayloadKeyConfigError(`PAYLOAD_KEYS_FILE: cannot read ${path} (${code})`);
  }
}

function keyringFrom(keys: Map<string, Buffer>, activeKeyId: string | undefined): Keyring {
  if (activeKeyId === undefined) {
    const [onlyId] = keys.keys();
    if (keys.size !== 1 || onlyId === undefined) {
      throw new PayloadKeyConfigError(
        `PAYLOAD_ACTIVE_KEY_ID: must name the key to encrypt with (one of ${[...keys.keys()].join(', ')})`,
      );
    }
    return { activeKeyId: onlyId, keys };
  }
  if (!keys.has(activeKeyId)) {
    throw new PayloadKeyConfigError(
      `PAYLOAD_ACTIVE_KEY_ID: not among the configured key ids (${[...keys.keys()].join(', ')})`,
    );
  }
  return { activeKeyId, keys };
}

export function payloadKeySettingsFromEnv(env: NodeJS.ProcessEnv = process.env): PayloadKeySettings {
  const parsed = payloadKeyEnvSchema.safeParse(env);
  if (!parsed.success) {
    // Messages only: zod issues never carry the input unless asked to, and we do not ask.
    throw new PayloadKeyConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  const { PAYLOAD_KEYS, PAYLOAD_KEYS_FILE, PAYLOAD_ACTIVE_KEY_ID, PAYLOAD_ENCRYPTION, NODE_ENV } = parsed.data;
  if (PAYLOAD_KEYS !== undefined && PAYLOAD_KEYS_FILE !== undefined) {
    throw new PayloadKeyConfigError('PAYLOAD_KEYS and PAYLOAD_KEYS_FILE are both set: use one of them');
  }
  const keys =
    PAYLOAD_KEYS !== undefined
      ? parseKeyList(PAYLOAD_KEYS, 'PAYLOAD_KEYS')
      : PAYLOAD_KEYS_FILE !== undefined
        ? parseKeyList(readKeyFile(PAYLOAD_KEYS_FILE), 'PAYLOAD_KEYS_FILE')
        : null;
  const keyring = keys === null ? null : keyringFrom(keys, PAYLOAD_ACTIVE_KEY_ID);
  if (PAYLOAD_ENCRYPTION === 'off') return { encrypt: false, reason: 'turned off by PAYLOAD_ENCRYPTION=off', keyring };
  if (keyring !== null) return { encrypt: true, keyring };
  if (NODE_ENV === 'production') {
    throw new PayloadKeyConfigError(
      'PAYLOAD_KEYS or PAYLOAD_KEYS_FILE must be set when NODE_ENV=production (telemetry would reach Temporal ' +
        'unencrypted); set PAYLOAD_ENCRYPTION=off only if that is a conscious choice (docs/confidentiality.md)',
    );
  }
  return { encrypt: false, reason: 'no key (local development)', keyring: null };
}
