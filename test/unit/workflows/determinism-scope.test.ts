import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import ts from 'typescript';

/**
 * Workflow code runs in Temporal's deterministic sandbox, and the lint rule that bans Node built-ins, AWS clients and
 * Temporal's non-workflow packages covers `workflows/**`, the pure domain `src/domain/**` and the shared contracts `src/contracts/**` (eslint.config.mjs). This
 * walks the workflow bundle's run-time imports from its entry point and fails if any local module it reaches lives
 * outside those folders (so outside the rule), or if it reaches a package that has no business in a workflow.
 */
const DETERMINISM_RULE_FOLDERS = ['workflows/', 'src/domain/', 'src/contracts/'];
const ROOT = resolve(__dirname, '../../..');
const ENTRY = resolve(ROOT, 'workflows/index.ts');
const PACKAGES_ALLOWED_IN_WORKFLOWS = new Set(['@temporalio/workflow', '@temporalio/common', 'zod', 'uuid']);

function resolveLocal(from: string, specifier: string): string {
  const base = resolve(dirname(from), specifier);
  const found = [`${base}.ts`, resolve(base, 'index.ts'), base].find((candidate) => existsSync(candidate));
  if (!found) throw new Error(`${relative(ROOT, from)} imports ${specifier}, which does not resolve`);
  return found;
}

/** Module specifiers a file imports at run time: type-only imports and exports are erased, so they are skipped. */
function runtimeImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, false);
  const specifiers: string[] = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      const bindings = clause?.namedBindings;
      const onlyTypes =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            bindings !== undefined &&
            ts.isNamedImports(bindings) &&
            bindings.elements.every((e) => e.isTypeOnly)));
      if (!onlyTypes && ts.isStringLiteral(statement.moduleSpecifier)) specifiers.push(statement.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier && !statement.isTypeOnly) {
      if (ts.isStringLiteral(statement.moduleSpecifier)) specifiers.push(statement.moduleSpecifier.text);
    }
  }
  return specifiers;
}

/** Every local file and package the entry reaches at run time. */
function reachableFrom(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [entry];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (files.has(file)) continue;
    files.add(file);
    for (const fileName of runtimeImports(file)) {
      if (fileName.startsWith('.')) pending.push(resolveLocal(file, fileName));
      else packages.add(fileName.startsWith('@') ? fileName.split('/').slice(0, 2).join('/') : fileName.split('/')[0]!);
    }
  }
  return { files, packages };
}

describe('the workflow bundle stays where the determinism lint rule looks', () => {
  const { files, packages } = reachableFrom(ENTRY);

  it('imports local modules only from the folders the determinism rule covers', () => {
    const outside = [...files]
      .map((f) => relative(ROOT, f))
      .filter((f) => !DETERMINISM_RULE_FOLDERS.some((folder) => f.startsWith(folder)));
    expect(outside).toEqual([]);
  });

  it('imports only workflow-safe packages', () => {
    expect([...packages].filter((p) => !PACKAGES_ALLOWED_IN_WORKFLOWS.has(p))).toEqual([]);
  });

  it('would notice a module outside those folders (the walk follows imports)', () => {
    const reached = reachableFrom(resolve(ROOT, 'test/unit/workflows/fixtures/reaches-outside.ts'));
    expect([...reached.files].map((f) => relative(ROOT, f))).toContain('src/config/duration.ts');
  });
});
