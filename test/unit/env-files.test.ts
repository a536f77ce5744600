import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnvFiles, parseEnvFile } from '../../src/config/env-files';

describe('env files', () => {
  it('parses comments, quotes and export', () => {
    expect(parseEnvFile('# c\nA=1\nexport B = "two words"\nC=x # trailing\nD=\'q\'\nbad line\n')).toEqual({
      A: '1',
      B: 'two words',
      C: 'x',
      D: 'q',
    });
  });

  function projectWithEnvFiles(): string {
    const root = mkdtempSync(join(tmpdir(), 'envfile-'));
    writeFileSync(join(root, '.env.example'), 'A=example\nB=example\nC=example\n');
    writeFileSync(join(root, '.env'), 'B=dotenv\nC=dotenv\n');
    return root;
  }

  it('lets .env override .env.example and the environment override both', () => {
    const env: NodeJS.ProcessEnv = { C: 'real' };
    loadEnvFiles({ env, root: projectWithEnvFiles() });
    expect(env).toEqual({ A: 'example', B: 'dotenv', C: 'real' });
  });

  it('reads nothing when a deployment sets ENV_FILES=off', () => {
    const env: NodeJS.ProcessEnv = { ENV_FILES: 'off' };
    loadEnvFiles({ env, root: projectWithEnvFiles() });
    expect(env).toEqual({ ENV_FILES: 'off' });
  });
});
