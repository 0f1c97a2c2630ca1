// Lint guards the layers (STYLE.md rule 11): the core stays pure TypeScript over ports, the
// rooms import only what README's "How it works" allows, and process.env is read in exactly two places.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const coreForbidden = [
  { group: ['@aws-sdk/*', 'aws-sdk'], message: 'src/core talks to AWS only through a port.' },
  { group: ['execa', 'node:child_process', 'child_process'], message: 'Processes belong in src/adapters.' },
  { group: ['better-sqlite3'], message: 'SQLite belongs in src/adapters/local.' },
  { group: ['node:fs', 'node:fs/*', 'fs', 'fs/*'], message: 'Files belong in src/adapters.' },
  { group: ['commander', '@clack/*', 'ora', 'picocolors'], message: 'The terminal belongs in src/cli.' },
  { group: ['**/adapters/**', '**/cli/**', '**/commands/**'], message: 'src/core may not import outer layers.' },
  { group: ['**/infra/**'], message: 'src/core may not import outer layers.' },
];

// The rooms and what each may import (README "How it works"). A rule per room, since a later
// no-restricted-imports for the same file replaces an earlier one instead of adding to it.
const noInfra = { group: ['**/infra/**'], message: 'src reaches infra/ (the templates) only through src/adapters/aws/provisioning.' };
const noLocal = { group: ['**/adapters/local/**', '../local/**', '../../local/**'], message: 'The aws backend never imports the local one; share through src/core or src/lib.' };
const noAws = { group: ['**/adapters/aws/**', '../aws/**', '../../aws/**', '../../../aws/**'], message: 'The local backend never imports the aws one; share through src/core or src/lib.' };
const noAdapters = { group: ['**/adapters/**'], message: 'Commands reach adapters only through the context (ctx.platform(), ctx.provisioning(), ctx.startLocalServer()).' };
const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

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
  { files: ['src/commands/**'], rules: restrict(noAdapters, noInfra) },
  { files: ['src/adapters/aws/**'], ignores: ['src/adapters/aws/provisioning/**'], rules: restrict(noLocal, noInfra) },
  { files: ['src/adapters/aws/provisioning/**'], rules: restrict(noLocal) },
  { files: ['src/adapters/local/**'], rules: restrict(noAws, noInfra) },
  { files: ['src/cli/**', 'src/demo/**', 'src/adapters/system/**', 'src/adapters/github/**'], rules: restrict(noInfra) },
  { files: ['src/lib/**'], rules: restrict(noInfra, { group: ['../*', '../**'], message: 'src/lib holds helpers with no notion of anchor: it imports nothing outside src/lib.' }) },
  // src ↔ infra in one direction: the templates (infra/stack, infra/bundle-handlers.ts) read only pure
  // modules of src (core, lib, the aws resource names); src reaches them only through provisioning.
  {
    files: ['infra/stack/**', 'infra/bundle-handlers.ts'],
    rules: restrict(
      { regex: 'src/adapters/(?!aws/resource-names\\.js$)', message: 'The templates read only pure modules of src (src/core, src/lib, src/adapters/aws/resource-names.ts): infra imports nothing that imports infra.' },
      { group: ['**/src/cli/**', '**/src/commands/**', '**/src/demo/**', '**/infra/handlers/**', '../handlers/**'], message: 'The templates read only pure modules of src (src/core, src/lib, src/adapters/aws/resource-names.ts).' },
    ),
  },
  {
    files: ['infra/handlers/**'],
    ignores: ['infra/handlers/platform-ports.ts'],
    rules: restrict({ group: ['**/src/adapters/**'], message: 'Handlers reach adapters only through their composition root, infra/handlers/platform-ports.ts.' }),
  },
  { files: ['src/cli/env.ts', 'infra/handlers/env.ts', 'test/**', 'bench/**', '*.config.*', 'src/adapters/local/runtime/handler-child.ts'], rules: { 'no-restricted-syntax': 'off' } },
);
