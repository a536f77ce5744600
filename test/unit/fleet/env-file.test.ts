import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnvFiles, parseEnvFile } from '../../../src/fleet/env-file';

describe('env file loader', () => {
  it('parses comments, quotes and export', () => {
    expect(parseEnvFile('# c\nA=1\nexport B = "two words"\nC=x # trailing\nD=\'q\'\nbad line\n')).toEqual({
      A: '1',
      B: 'two words',
      C: 'x',
      D: 'q',
    });
  });

  it('lets .env override .env.example and the environment override both', () => {
    const dir = mkdtempSync(join(tmpdir(), 'envfile-'));
    writeFileSync(join(dir, '.env.example'), 'A=example\nB=example\nC=example\n');
    writeFileSync(join(dir, '.env'), 'B=dotenv\nC=dotenv\n');
    const env: NodeJS.ProcessEnv = { C: 'real' };
    loadEnvFiles(dir, env);
    expect(env).toEqual({ A: 'example', B: 'dotenv', C: 'real' });
  });
});
