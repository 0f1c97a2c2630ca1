// Lint guards the layers (STYLE.md rule 11): the core stays pure TypeScript over ports,
// and process.env is read in exactly two places.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const coreForbidden = [
  { group: ['@aws-sdk/*', 'aws-sdk'], message: 'src/core talks to AWS only through a port.' },
  { group: ['execa', 'node:child_process', 'child_process'], message: 'Processes belong in src/adapters.' },
  { group: ['better-sqlite3'], message: 'SQLite belongs in src/adapters/local.' },
  { group: ['node:fs', 'node:fs/*', 'fs', 'fs/*'], message: 'Files belong in src/adapters.' },
  { group: ['commander', '@clack/*', 'ora', 'picocolors'], message: 'The terminal belongs in src/cli.' },
  { group: ['**/adapters/**', '**/cli/**', '**/commands/**'], message: 'src/core may not import outer layers.' },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'templates/**', 'coverage/**', '**/.open-next/**', '**/.next/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly', AbortController: 'readonly', fetch: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: "MemberExpression[object.name='process'][property.name='env']", message: 'Read process.env only in src/cli/env.ts or infra/handlers/env.ts.' }],
    },
  },
  { files: ['src/core/**'], rules: { 'no-restricted-imports': ['error', { patterns: coreForbidden }] } },
  { files: ['src/cli/env.ts', 'infra/handlers/env.ts', 'test/**', 'bench/**', '*.config.*', 'src/adapters/local/runtime/handler-child.ts'], rules: { 'no-restricted-syntax': 'off' } },
);
