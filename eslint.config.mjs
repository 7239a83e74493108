// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import { builtinModules } from 'node:module';

// Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no I/O libraries. zod is allowed:
// it is pure, and the workflows validate their own input with the client's schemas (src/inputs.ts).
const bannedInWorkflows = [
  ...builtinModules,
  ...builtinModules.map((m) => `node:${m}`),
  'undici',
  '@temporalio/activity',
  '@temporalio/client',
  '@temporalio/proto',
  '@temporalio/worker',
];

/**
 * The rule for everything bundled into the sandbox. `allowedRelative` closes the bundle: a value import of
 * any other project module is refused (types are free), so nothing can enter the bundle without this list
 * (and its lint) growing too.
 */
const sandboxRule = (allowedRelative) => ({
  'no-restricted-imports': [
    'error',
    {
      paths: bannedInWorkflows.map((name) => ({
        name,
        message: 'Workflow code must be deterministic: no Node built-ins or I/O libraries (use an activity).',
      })),
      patterns: [
        {
          group: ['./*', '../*', ...allowedRelative.map((p) => `!${p}`)],
          message:
            'Bundled into the workflow sandbox: import values only from src/workflows, src/domain, src/doctor, ' +
            'src/inputs.ts and src/search-attributes.ts (activity, client and configuration modules as types only).',
          allowTypeImports: true,
        },
      ],
    },
  ],
});

export default tseslint.config(
  { ignores: ['lib/**', 'node_modules/**', 'coverage/**', 'jest.config.js', 'eslint.config.mjs', 'bin/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-deprecated': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'object-shorthand': 'error',
    },
  },
  // What the workflow bundle holds: the workflows, the pure rules they share (src/domain, and src/doctor's
  // contract and findings), the search attribute definitions and the failure converter the bundler loads by
  // path (scripts/build-workflow-bundle.ts).
  {
    files: ['src/workflows/**/*.ts'],
    rules: sandboxRule(['./*', '../domain', '../doctor', '../inputs', '../search-attributes']),
  },
  { files: ['src/domain/**/*.ts'], rules: sandboxRule(['./*']) },
  { files: ['src/doctor/**/*.ts'], rules: sandboxRule(['./*', '../domain']) },
  { files: ['src/search-attributes.ts', 'src/inputs.ts', 'src/codec/failure-converter.ts'], rules: sandboxRule([]) },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  prettier
);
