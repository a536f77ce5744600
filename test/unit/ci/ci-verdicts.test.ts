import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { auditVerdict, jestVerdict } from '../../../scripts/lib/ci-verdicts';

/** The counts of jest's --json report (the rest of the report does not matter here). */
const report = (counts: Partial<Record<string, number>> = {}): string =>
  JSON.stringify({
    numTotalTests: 10,
    numPassedTests: 10,
    numFailedTests: 0,
    numPendingTests: 0,
    numTodoTests: 0,
    numRuntimeErrorTestSuites: 0,
    success: true,
    testResults: [],
    ...counts,
  });

describe('jest verdict of .ci/run', () => {
  it('counts a clean run as its passed tests and no failure', () => {
    expect(jestVerdict(report())).toEqual({ passed: 10, failed: 0, problems: [] });
  });

  it('fails a run that executed zero tests (jest itself exits 0 when every test is skipped)', () => {
    expect(jestVerdict(report({ numTotalTests: 0, numPassedTests: 0 }))).toEqual({
      passed: 0,
      failed: 1,
      problems: ['zero tests executed'],
    });
    expect(jestVerdict(report({ numTotalTests: 4, numPassedTests: 0, numPendingTests: 4 }))).toEqual({
      passed: 0,
      failed: 2,
      problems: ['zero tests executed', '4 tests skipped (pending): every test must run in CI'],
    });
  });

  it('fails any skipped or todo test next to passing ones', () => {
    expect(jestVerdict(report({ numTotalTests: 12, numPendingTests: 1, numTodoTests: 1 }))).toEqual({
      passed: 10,
      failed: 2,
      problems: [
        '1 tests skipped (pending): every test must run in CI',
        '1 tests marked todo: every test must run in CI',
      ],
    });
  });

  it('adds failed tests and suites that could not run', () => {
    expect(jestVerdict(report({ numPassedTests: 7, numFailedTests: 3, numRuntimeErrorTestSuites: 2 }))).toEqual({
      passed: 7,
      failed: 5,
      problems: [],
    });
  });

  it('fails a missing, garbled or count-less report', () => {
    expect(jestVerdict(undefined)).toEqual({ passed: 0, failed: 1, problems: ['no jest report was written'] });
    expect(jestVerdict('{"numPassedTests": 3')).toEqual({
      passed: 0,
      failed: 1,
      problems: ['the jest report is not JSON'],
    });
    expect(jestVerdict(JSON.stringify({ numPassedTests: 3 })).failed).toBe(1);
  });

  it('is what .ci/run reads: the CLI prints "<passed> <failed>", so a zero-test report gives "0 1"', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ci-verdicts-'));
    const file = join(dir, 'jest.json');
    writeFileSync(file, report({ numTotalTests: 0, numPassedTests: 0 }));
    const tsx = require.resolve('tsx/cli');
    const script = resolve(__dirname, '../../../scripts/lib/ci-verdicts.ts');
    const out = execFileSync(process.execPath, [tsx, script, 'jest', file], { encoding: 'utf8', stdio: 'pipe' });
    expect(out).toBe('0 1\n');
    expect(execFileSync(process.execPath, [tsx, script, 'jest', join(dir, 'absent.json')], { encoding: 'utf8' })).toBe(
      '0 1\n',
    );
  });
});

describe('npm audit verdict of scripts/supply-chain.sh', () => {
  const audit = (vulnerabilities: Record<string, number>, entries: Record<string, unknown> = {}): string =>
    JSON.stringify({
      auditReportVersion: 2,
      vulnerabilities: entries,
      metadata: {
        vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0, total: 0, ...vulnerabilities },
      },
    });

  it('clean, or findings with the high and critical advisories named', () => {
    expect(auditVerdict(audit({ low: 2 })).kind).toBe('clean');
    expect(
      auditVerdict(audit({ high: 1 }, { 'left-pad': { severity: 'high', range: '<1.2.0' }, x: { severity: 'low' } })),
    ).toEqual({
      kind: 'findings',
      summary: expect.stringContaining('"high":1') as unknown,
      serious: ['high: left-pad <1.2.0'],
    });
  });

  it('no verdict only when npm says the endpoint did not answer (a mirror without the audit API, the network)', () => {
    const mirror = JSON.stringify({
      message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
      statusCode: 405,
      body: '',
      error: { summary: '', detail: '' },
    });
    expect(auditVerdict(mirror)).toEqual({
      kind: 'no-verdict',
      summary:
        'npm audit: NO VERDICT, the advisory endpoint was not reachable (405 Method Not Allowed - POST ' +
        'https://registry.npmjs.org/-/npm/v1/security/advisories/bulk)',
    });
    expect(auditVerdict(JSON.stringify({ error: { code: 'ENOTFOUND', summary: 'x' } })).kind).toBe('no-verdict');
  });

  it.each([
    ['empty output', ''],
    ['garbled output', '{"metadata": {"vulnerabil'],
    ['an empty object', '{}'],
    ['counts that are not numbers', JSON.stringify({ metadata: { vulnerabilities: { high: 'x', critical: 0 } } })],
    ['a 200 status without a report', JSON.stringify({ statusCode: 200 })],
    ['an unknown error code', JSON.stringify({ error: { code: 'EJSONPARSE' } })],
  ])('is broken output, never "no verdict", for %s', (_, text) => {
    expect(auditVerdict(text).kind).toBe('broken');
  });
});
