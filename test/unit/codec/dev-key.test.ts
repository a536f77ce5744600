import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevPayloadKey } from '../../../src/codec/dev-key';
import { payloadKeySettingsFromEnv } from '../../../src/codec/keys';
import { loadEnvFiles } from '../../../src/config/env-files';

describe('local payload key (npm run stack)', () => {
  it('is written once, owner-only, and kept on the next run', () => {
    const stackDir = join(mkdtempSync(join(tmpdir(), 'devkey-')), '.stack');
    const first = ensureDevPayloadKey(stackDir, new Date('2026-12-02T00:00:00Z'));
    expect(first.created).toBe(true);
    expect(first.keyId).toMatch(/^dev-20261202-[0-9a-f]{6}$/);
    expect(statSync(first.path).mode & 0o777).toBe(0o600);
    const text = readFileSync(first.path, 'utf8');
    const second = ensureDevPayloadKey(stackDir);
    expect(second.created).toBe(false);
    expect(readFileSync(first.path, 'utf8')).toBe(text);
  });

  it('is what every entry point loads: between .env.example and .env, the environment winning', () => {
    const root = mkdtempSync(join(tmpdir(), 'devkey-root-'));
    const { keyId } = ensureDevPayloadKey(join(root, '.stack'));
    writeFileSync(join(root, '.env.example'), 'A=example\n');
    const env: NodeJS.ProcessEnv = {};
    loadEnvFiles({ env, root });
    expect(env.PAYLOAD_ACTIVE_KEY_ID).toBe(keyId);
    const settings = payloadKeySettingsFromEnv(env);
    expect(settings.encrypt && settings.keyring.activeKeyId).toBe(keyId);

    writeFileSync(join(root, '.env'), 'PAYLOAD_ENCRYPTION=off\n');
    const overridden: NodeJS.ProcessEnv = { PAYLOAD_ACTIVE_KEY_ID: 'from-env' };
    loadEnvFiles({ env: overridden, root });
    expect(overridden.PAYLOAD_ENCRYPTION).toBe('off');
    expect(overridden.PAYLOAD_ACTIVE_KEY_ID).toBe('from-env');
  });

  it('follows STACK_DIR, like the stack scripts', () => {
    const root = mkdtempSync(join(tmpdir(), 'devkey-stackdir-'));
    const { keyId } = ensureDevPayloadKey(join(root, 'elsewhere'));
    const env: NodeJS.ProcessEnv = { STACK_DIR: join(root, 'elsewhere') };
    loadEnvFiles({ env, root });
    expect(env.PAYLOAD_ACTIVE_KEY_ID).toBe(keyId);
  });
});
