import { realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The checkouts whose absolute paths stack traces in a recorded history may name: the repository itself (as given and
 * with links resolved) and the one node_modules really lives in (a worktree may link to another checkout's). A
 * committed history must not carry the recording machine's layout.
 */
export function checkoutRoots(repoRoot: string, realpath: (path: string) => string = realpathSync): string[] {
  const roots = [repoRoot, realpath(repoRoot), dirname(realpath(join(repoRoot, 'node_modules')))];
  // Longest first, so a root inside another root is replaced before its parent can cut it in two.
  return [...new Set(roots)].sort((a, b) => b.length - a.length);
}

/** `text` with every `<root>/` (also as a file:// URL) of the given roots removed: paths become repository-relative. */
export function withRepositoryRelativePaths(text: string, roots: readonly string[]): string {
  return roots.reduce((result, root) => result.replaceAll(`file://${root}/`, '').replaceAll(`${root}/`, ''), text);
}
