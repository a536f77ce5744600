import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

// Under `set -o pipefail`, `producer | grep -q pattern` fails when grep finds the pattern early: grep exits, the
// producer gets SIGPIPE writing the rest, and the pipeline's status is the producer's 141. The image smoke failed a
// fresh-clone CI that way ("the worker does not report encryption" while the log said it did). Scripts let grep read
// everything (`grep pattern >/dev/null`) instead.

const ROOT = resolve(__dirname, '../../..');

function shellScripts(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : shellScripts(path);
    return name.endsWith('.sh') || (dir.endsWith('.ci') && name === 'run') ? [path] : [];
  });
}

const PIPEFAIL = /^\s*set\s+-[a-z]*o\s+pipefail|^\s*set\s+-o\s+pipefail/m;
const PIPE_INTO_QUIET_GREP = /\|\s*grep\s+(?:-[a-zA-Z]*q[a-zA-Z]*|--quiet)\b/;

/** Line numbers of `| grep -q` in a script that runs under pipefail (a sourced library runs under its caller's). */
export function quietGrepsAfterPipe(text: string, sourced = false): number[] {
  if (!sourced && !PIPEFAIL.test(text)) return [];
  return text.split('\n').flatMap((line, i) => (PIPE_INTO_QUIET_GREP.test(line) && !/^\s*#/.test(line) ? [i + 1] : []));
}

describe('shell scripts under pipefail', () => {
  it('recognises the pattern it forbids', () => {
    expect(quietGrepsAfterPipe('set -euo pipefail\ndocker logs x 2>&1 | grep -q polling || fail')).toEqual([2]);
    expect(quietGrepsAfterPipe('set -euo pipefail\ntr a b <f | grep -qF -- marker')).toEqual([2]);
    expect(quietGrepsAfterPipe('set -euo pipefail\ndocker logs x | grep polling >/dev/null')).toEqual([]);
    expect(quietGrepsAfterPipe('set -eu\ndocker logs x | grep -q polling')).toEqual([]);
    expect(quietGrepsAfterPipe('set -euo pipefail\ngrep -q polling "$log_file"')).toEqual([]);
    expect(quietGrepsAfterPipe('tr a b <f | grep -qF -- marker', true)).toEqual([1]);
  });

  const scripts = [...shellScripts(join(ROOT, 'scripts')), ...shellScripts(join(ROOT, 'tools')), join(ROOT, '.ci/run')];

  it.each(scripts.map((path) => [relative(ROOT, path), path]))('%s pipes into no grep -q', (_name, path) => {
    expect(quietGrepsAfterPipe(readFileSync(path, 'utf8'), path.includes('/lib/'))).toEqual([]);
  });
});
