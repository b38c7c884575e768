import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.data/', '.temporal/', 'migrations/', 'dist/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'off',
    },
  },
  {
    // Tests read JSON replies loosely on purpose: the assertions say what must be there.
    files: ['tests/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Workflow code is replayed: it may use only workflows/ and the pure domain rules,
    // never the database, the network, the clock of the machine, or Node's built-ins.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'path', 'crypto', 'http', 'https', 'net', 'child_process'], message: 'workflow code must be deterministic: no Node built-ins' },
            { group: ['**/src/db/**', '**/src/api/**', '**/src/cli/**', '**/src/service', 'drizzle-orm*', 'postgres', 'express', '@electric-sql/*', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'], message: 'workflow code may import only workflows/ and pure src/domain/ (and types)', allowTypeImports: true },
            // Not even types: the contract between a workflow and its activities or the
            // carriers lives in src/domain and workflows/<name>/activities.ts.
            { group: ['**/activities', '**/activities/**', '!./activities', '**/src/carriers', '**/src/carriers/**'], message: 'workflows import nothing from activities/ or src/carriers/: use the contract types in src/domain/ and the activity interfaces in workflows/<name>/activities.ts' },
          ],
        },
      ],
    },
  },
  {
    // The pure rules stay pure: no I/O, so they can run anywhere, workflows included.
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'path', 'http', 'https', 'net', 'child_process'], message: 'domain rules are pure: no I/O' },
            { group: ['**/db/client', '**/api/**', '**/temporal/**', 'drizzle-orm*', 'postgres', 'express', '@temporalio/*'], message: 'domain rules are pure', allowTypeImports: true },
          ],
        },
      ],
    },
  },
);
