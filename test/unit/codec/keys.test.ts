import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PayloadKeyConfigError, payloadKeySettingsFromEnv } from '../../../src/codec/keys';

const keyA = randomBytes(32).toString('base64');
const keyB = randomBytes(32).toString('base64');
const shortKey = randomBytes(16).toString('base64');

function errorOf(env: NodeJS.ProcessEnv): PayloadKeyConfigError {
  try {
    payloadKeySettingsFromEnv(env);
  } catch (err) {
    if (err instanceof PayloadKeyConfigError) return err;
    throw err;
  }
  throw new Error('expected a PayloadKeyConfigError');
}

describe('payload keys from the environment', () => {
  it('reads id:base64 pairs and the active key id', () => {
    const settings = payloadKeySettingsFromEnv({ PAYLOAD_KEYS: `a:${keyA}, b:${keyB}`, PAYLOAD_ACTIVE_KEY_ID: 'b' });
    expect(settings.encrypt).toBe(true);
    expect(settings.keyring?.activeKeyId).toBe('b');
    expect(settings.keyring?.keys.get('a')?.toString('base64')).toBe(keyA);
  });

  it('takes the only key as the active one', () => {
    expect(payloadKeySettingsFromEnv({ PAYLOAD_KEYS: `only:${keyA}` }).keyring?.activeKeyId).toBe('only');
  });

  it('reads a key file with comments and one pair per line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'payload-keys-'));
    const file = join(dir, 'keys');
    writeFileSync(file, `# rotated 2026-12-01\nold:${keyA}\nnew:${keyB}\n`);
    const settings = payloadKeySettingsFromEnv({ PAYLOAD_KEYS_FILE: file, PAYLOAD_ACTIVE_KEY_ID: 'new' });
    expect([...(settings.keyring?.keys.keys() ?? [])]).toEqual(['old', 'new']);
  });

  it.each([
    [
      'a key of the wrong length',
      { PAYLOAD_KEYS: `a:${shortKey}` },
      /PAYLOAD_KEYS: entry 1 \(id "a"\): the key must be 32 bytes/,
    ],
    ['a pair without id', { PAYLOAD_KEYS: keyA }, /PAYLOAD_KEYS: entry 1 is not of the form id:base64key/],
    ['a duplicate id', { PAYLOAD_KEYS: `a:${keyA},a:${keyB}` }, /key id "a" appears twice/],
    ['a key that is not base64', { PAYLOAD_KEYS: `a:${keyA.slice(0, 40)}!!!!` }, /the key must be 32 bytes in base64/],
    [
      'several keys and no active id',
      { PAYLOAD_KEYS: `a:${keyA},b:${keyB}` },
      /PAYLOAD_ACTIVE_KEY_ID: must name the key/,
    ],
    [
      'an active id that is not a key',
      { PAYLOAD_KEYS: `a:${keyA}`, PAYLOAD_ACTIVE_KEY_ID: 'z' },
      /PAYLOAD_ACTIVE_KEY_ID: not among/,
    ],
    [
      'an active id that is a pasted key',
      { PAYLOAD_KEYS: `a:${keyA}`, PAYLOAD_ACTIVE_KEY_ID: keyB },
      /PAYLOAD_ACTIVE_KEY_ID: must be a key id/,
    ],
    ['both a list and a file', { PAYLOAD_KEYS: `a:${keyA}`, PAYLOAD_KEYS_FILE: '/nonexistent' }, /both set/],
    [
      'a missing key file',
      { PAYLOAD_KEYS_FILE: '/nonexistent/keys' },
      /PAYLOAD_KEYS_FILE: cannot read \/nonexistent\/keys \(ENOENT\)/,
    ],
    ['an unknown encryption switch', { PAYLOAD_ENCRYPTION: 'maybe' }, /PAYLOAD_ENCRYPTION: must be on or off/],
  ])('names the variable for %s', (_case, env, message) => {
    expect(errorOf(env).message).toMatch(message);
  });

  it('never puts key material in an error message', () => {
    const messages = [
      errorOf({ PAYLOAD_KEYS: `a:${shortKey}` }),
      errorOf({ PAYLOAD_KEYS: `a:${keyA},b:${shortKey},c:${keyB}x` }),
      errorOf({ PAYLOAD_KEYS: `${keyA}:a` }),
      errorOf({ PAYLOAD_KEYS: keyA }),
      errorOf({ PAYLOAD_KEYS: `a:${keyA}`, PAYLOAD_ACTIVE_KEY_ID: keyB }),
      errorOf({ PAYLOAD_KEYS: `a:${keyA},b:${keyB}` }),
    ].map((e) => e.message);
    for (const secret of [keyA, keyB, shortKey]) {
      for (const message of messages) {
        expect(message).not.toContain(secret.slice(0, 12));
        expect(message).not.toContain(Buffer.from(secret, 'base64').toString('hex').slice(0, 12));
      }
    }
  });

  it('refuses to run without a key when NODE_ENV=production', () => {
    expect(errorOf({ NODE_ENV: 'production' }).message).toMatch(/PAYLOAD_KEYS or PAYLOAD_KEYS_FILE must be set/);
  });

  it('runs unencrypted in production only with an explicit PAYLOAD_ENCRYPTION=off', () => {
    const settings = payloadKeySettingsFromEnv({ NODE_ENV: 'production', PAYLOAD_ENCRYPTION: 'off' });
    expect(settings).toEqual({ encrypt: false, reason: 'turned off by PAYLOAD_ENCRYPTION=off', keyring: null });
  });

  it('runs unencrypted in local development when no key is configured', () => {
    expect(payloadKeySettingsFromEnv({})).toEqual({
      encrypt: false,
      reason: 'no key (local development)',
      keyring: null,
    });
  });

  it('keeps the keys for decoding when encryption is turned off', () => {
    const settings = payloadKeySettingsFromEnv({ PAYLOAD_KEYS: `a:${keyA}`, PAYLOAD_ENCRYPTION: 'off' });
    expect(settings.encrypt).toBe(false);
    expect(settings.keyring?.keys.has('a')).toBe(true);
  });
});
