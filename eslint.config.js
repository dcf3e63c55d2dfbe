// Lint rules that encode the layering in DESIGN.md, so a wrong import fails `npm test` instead of
// waiting for review: the renderer talks to the main process through the API contract only; hosts
// use the studio and the contract; core never reaches into a host or into Electron.
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import svelteParser from 'svelte-eslint-parser';
import globals from 'globals';

const restrict = (patterns) => ['error', { patterns }];
const pattern = (group, message) => ({ group, message });

// Size limits: a file or function past these carries more than one idea.
const sizeRules = {
  'max-lines': ['error', { max: 300, skipBlankLines: false, skipComments: false }],
  'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true }],
};

export default tseslint.config(
  {
    ignores: ['out/**', 'node_modules/**', 'test-results/**', 'scratch/**', '.bench/**', 'resources/**', 'dist/**'],
  },
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      parser: svelteParser,
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] },
      globals: { ...globals.browser },
    },
  },
  { files: ['src-main/**/*.ts', 'src-renderer/**/*.{ts,svelte}'], rules: sizeRules },
  {
    files: ['src-renderer/**/*.{ts,svelte}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': restrict([
        pattern(
          ['**/src-main/core/**', '**/src-main/hosts/**', '$contract/../**'],
          'The renderer talks to the main process only through the API contract ($contract).',
        ),
        pattern(
          [
            '**/src-main/api/*',
            '!**/src-main/api/contract',
            '!**/src-main/api/training-config',
            '!**/src-main/api/*-contract',
            '!**/src-main/api/web-protocol',
          ],
          'The renderer imports the API contract only.',
        ),
        pattern(
          ['electron', 'node:*', 'better-sqlite3', 'sharp', '@tensorflow/*'],
          'The renderer runs in a browser sandbox: no Node or main-process modules.',
        ),
      ]),
    },
  },
  {
    files: ['src-main/core/**/*.ts', 'src-main/api/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict([
        pattern(['**/hosts/**', '**/hosts'], 'Core and the API never import a host: hosts depend on core, not the other way.'),
        pattern(['electron', 'electron/*'], 'Core runs without Electron (the web host and the CLI use it too).'),
      ]),
    },
  },
  {
    files: ['src-main/hosts/**/*.ts'],
    ignores: ['src-main/hosts/**/*-worker.ts'],
    rules: {
      'no-restricted-imports': restrict([
        pattern(
          ['**/core/**', '!**/core/studio', '!**/core/studio-types', '!**/core/paths'],
          'Hosts use createStudio and the API contract; core internals stay behind the studio.',
        ),
      ]),
    },
  },
);
