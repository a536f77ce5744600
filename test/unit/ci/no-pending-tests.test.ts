import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

// Every test file is a test that runs and can fail: none is skipped, focused or left as a to-do, and none calls itself
// pending or disabled in its comments (a test that says it is red-until-something misleads whoever reads a green run;
// test/chaos/sqs-latency.test.ts still said so after it was enabled). CI also refuses skipped tests at run time
// (scripts/lib/ci-verdicts.ts); this catches the wording and the suites that run only with the stack.

const ROOT = resolve(__dirname, '../../..');

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : testFiles(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

/** What marks a test as not running: jest's skip/only/todo forms, and comments that call the file pending. */
const NOT_RUNNING: { what: string; pattern: RegExp }[] = [
  {
    what: 'skipped, focused or to-do test',
    pattern: /\b(?:it|test|describe)\.(?:skip|only|todo)\(|\b[xf](?:it|describe)\(/,
  },
  {
    what: 'comment calling the test pending or disabled',
    pattern: /^\s*(?:\/\/|\/?\*+)\s*(?:pending|disabled|red until)\b/im,
  },
];

function notRunning(text: string): string[] {
  return NOT_RUNNING.filter(({ pattern }) => pattern.test(text)).map(({ what }) => what);
}

describe('no pending tests', () => {
  it('recognises the markers it looks for', () => {
    expect(notRunning("it.skip('x', () => {});")).toEqual(['skipped, focused or to-do test']);
    expect(notRunning("xit('x', () => {});")).toEqual(['skipped, focused or to-do test']);
    expect(notRunning('// Pending: red until the fix lands.\nrunChaosTest();')).toEqual([
      'comment calling the test pending or disabled',
    ]);
    expect(notRunning('/** Lets pending promise callbacks run. */\nit("y", () => {});')).toEqual([]);
  });

  it('finds none in any test file', () => {
    // This file quotes the markers in its own examples.
    const files = testFiles(resolve(ROOT, 'test')).filter((file) => file !== __filename);
    expect(files.length).toBeGreaterThan(50);
    const found = files.flatMap((file) =>
      notRunning(readFileSync(file, 'utf8')).map((what) => `${relative(ROOT, file)}: ${what}`),
    );
    expect(found).toEqual([]);
  });
});
