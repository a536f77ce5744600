import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkoutRoots, withRepositoryRelativePaths } from '../../../tools/replay/relative-paths';

/** The history recorder writes stack traces with repository-relative paths, whatever checkout it ran in. */
describe('recorded histories name repository-relative paths', () => {
  // A worktree whose node_modules links to the main checkout's, as on the machine the histories were first recorded.
  const links: Record<string, string> = {
    '/srv/worktree': '/srv/worktree',
    '/srv/worktree/node_modules': '/srv/main/node_modules',
  };
  const realpath = (path: string): string => links[path] ?? path;

  it('finds the checkout and the one node_modules lives in', () => {
    expect(checkoutRoots('/srv/worktree', realpath).sort()).toEqual(['/srv/main', '/srv/worktree']);
  });

  it('strips both from a stack trace as the temporal CLI prints it in a history', () => {
    const history = JSON.stringify({
      stackTrace:
        'ApplicationFailure: run incomplete\n' +
        '    at Function.nonRetryable (/srv/main/node_modules/@temporalio/common/src/failure.ts:254:11)\n' +
        '    at nonRetryable (/srv/worktree/workflows/drain-queue.ts:97:29)\n' +
        '    at load (file:///srv/worktree/src/aws/failure.ts:10:3)',
    });
    const relative = withRepositoryRelativePaths(history, checkoutRoots('/srv/worktree', realpath));
    expect(JSON.parse(relative)).toEqual({
      stackTrace:
        'ApplicationFailure: run incomplete\n' +
        '    at Function.nonRetryable (node_modules/@temporalio/common/src/failure.ts:254:11)\n' +
        '    at nonRetryable (workflows/drain-queue.ts:97:29)\n' +
        '    at load (src/aws/failure.ts:10:3)',
    });
    expect(relative).not.toMatch(/\/srv\//);
  });

  it('leaves a path outside the checkouts as it is', () => {
    const text = 'at x (/usr/lib/node/internal/process.js:1:1) at y (/srv/worktree-other/z.ts:1:1)';
    expect(withRepositoryRelativePaths(text, checkoutRoots('/srv/worktree', realpath))).toBe(text);
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
