import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkoutRoots, withRepositoryRelativePaths } from '../../../tools/replay/relative-paths';

/** The history recorder writes stack traces with repository-relative paths, whatever checkout it ran in. */
describe('recorded histories name repository-relative paths', () => {
  // A worktree whose node_modules links to the main checkout's, as on the machine the histories were first recorded.
  const links: Record<string, string> = {
    '/work/wt-h8': '/work/wt-h8',
    '/work/wt-h8/node_modules': '/work/main/node_modules',
  };
  const realpath = (path: string): string => links[path] ?? path;

  it('finds the checkout and the one node_modules lives in', () => {
    expect(checkoutRoots('/work/wt-h8', realpath).sort()).toEqual(['/work/main', '/work/wt-h8']);
  });

  it('strips both from a stack trace as the temporal CLI prints it in a history', () => {
    const history = JSON.stringify({
      stackTrace:
        'ApplicationFailure: run incomplete\n' +
        '    at Function.nonRetryable (/work/main/node_modules/@temporalio/common/src/failure.ts:254:11)\n' +
        '    at nonRetryable (/work/wt-h8/workflows/drain-queue.ts:97:29)\n' +
        '    at load (file:///work/wt-h8/activities/aws-failure.ts:10:3)',
    });
    const relative = withRepositoryRelativePaths(history, checkoutRoots('/work/wt-h8', realpath));
    expect(JSON.parse(relative)).toEqual({
      stackTrace:
        'ApplicationFailure: run incomplete\n' +
        '    at Function.nonRetryable (node_modules/@temporalio/common/src/failure.ts:254:11)\n' +
        '    at nonRetryable (workflows/drain-queue.ts:97:29)\n' +
        '    at load (activities/aws-failure.ts:10:3)',
    });
    expect(relative).not.toMatch(/\/work\//);
  });

  it('leaves a path outside the checkouts as it is', () => {
    const text = 'at x (/usr/lib/node/internal/process.js:1:1) at y (/work/wt-h8-other/z.ts:1:1)';
    expect(withRepositoryRelativePaths(text, checkoutRoots('/work/wt-h8', realpath))).toBe(text);
  });

  it('the committed histories carry no absolute checkout path', () => {
    // Guards what the recorder now guarantees for every history it writes (and the hand cleaning of 3c93160 did once).
    const dir = join(__dirname, '..', '..', 'replay', 'histories');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      expect({
        file,
        absolute: /"[^"]*\(\/(work|home|Users|tmp)\//.test(readFileSync(join(dir, file), 'utf8')),
      }).toEqual({
        file,
        absolute: false,
      });
    }
  });
});
