// ESLint flat config: type-aware rules for all TypeScript; a dropped promise is an error.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

import { boundaries } from './scripts/lint-boundaries.mjs';

export default tseslint.config(
  // Declaration files (of the .mjs helpers) are checked by tsc, not linted.
  { ignores: ['node_modules/**', '.cluster/**', 'dist/**', 'charts/**', '**/*.d.mts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    files: ['**/*.ts'],
    languageOptions: {
      globals: globals.node,
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/ban-ts-comment': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
    },
  },
  ...boundaries,
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: globals.node },
  },
  {
    // The dashboard's script runs in the browser, as a classic script.
    files: ['server/dashboard/**/*.js'],
    languageOptions: { globals: globals.browser, sourceType: 'script' },
  },
);
