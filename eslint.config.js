// Lint rules, flat config. Beyond the recommended sets, this file enforces the layer
// direction the design asks for: shared/ is pure and imports nothing from client/ or hub/,
// nor any IO; client/ and hub/ never import each other.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const ioModules = [
  'dexie',
  'kysely',
  'better-sqlite3',
  'hono',
  'hono/*',
  '@hono/*',
  'node:*',
  'preact',
  'preact/*',
];

export default tseslint.config(
  {
    ignores: [
      'node_modules',
      'dist',
      'data',
      'test-results',
      'playwright-report',
      'tests/artifacts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: 'error',
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/client/**', '**/hub/**', '../client/*', '../hub/*'],
              message: 'shared/ must not import client/ or hub/.',
            },
            { group: ioModules, message: 'shared/ is pure: no IO libraries.' },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'shared/ takes clocks as parameters.' },
        { object: 'Math', property: 'random', message: 'shared/ takes id makers as parameters.' },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'fetch', message: 'shared/ does no IO.' },
        { name: 'indexedDB', message: 'shared/ does no IO.' },
        { name: 'localStorage', message: 'shared/ does no IO.' },
      ],
    },
  },
  {
    files: ['client/**/*.ts', 'client/**/*.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/hub/**', '../hub/*'], message: 'client/ must not import hub/.' },
          ],
        },
      ],
    },
  },
  {
    files: ['hub/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/client/**', '../client/*'], message: 'hub/ must not import client/.' },
          ],
        },
      ],
    },
  },
);
