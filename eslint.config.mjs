// Workflow files run in Temporal's deterministic sandbox: Node built-ins and AWS clients are banned there by lint,
// so determinism is enforced by construction rather than by review.
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      '.tools/**',
      '.stack/**',
      'test-output/**',
      'coverage/**',
      '**/*.mjs',
      '**/*.js',
    ],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      // Activities are async by contract even when their body is synchronous.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // Everything the workflow bundle imports lives here (test/unit/workflows/determinism-scope.test.ts checks it).
    files: ['workflows/**/*.ts', 'src/domain/**/*.ts', 'src/contracts/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins,
          patterns: [{ group: ['@aws-sdk/*', '@temporalio/worker', '@temporalio/client', '@temporalio/activity'] }],
        },
      ],
    },
  },
  {
    // Layers point down: activities use the shared contracts (src/contracts/), never the workflows that call them.
    files: ['activities/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/workflows', '**/workflows/**'], message: 'activities never import workflows/' }] },
      ],
    },
  },
  {
    // src/ is what activities build on; only the worker composition puts the activities together.
    files: ['src/**/*.ts'],
    ignores: ['src/worker/pipeline-workers.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/activities', '**/activities/**'],
              message: 'src/ never imports activities/ (except the worker composition, src/worker/pipeline-workers.ts)',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/unbound-method': 'off' },
  },
);
