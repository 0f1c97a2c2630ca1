// Bundles the CLI into dist/cli/ so `anchor` starts fast: a handful of files to load instead of
// ~80 modules (commander and better-sqlite3's JavaScript included). Each command stays in a chunk
// of its own, loaded only when it runs; the AWS SDK, execa, Octokit and the prompt libraries stay
// ordinary packages, loaded on demand. The handler child is a bundle of its own, one file that
// shares no chunk with the CLI: anchor server copies it where every project's sandbox can read it.
import { build } from 'esbuild';
import { readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * commander loads node:child_process (and with it net, dgram and the stream machinery) at start,
 * for executable subcommands, which anchor has none of: it is required when first used instead.
 * Every command's start pays for the eager load (`npm run bench -- startup` measures it).
 */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const eager = "const childProcess = require('node:child_process');";
      if (!source.includes(eager)) throw new Error(`${args.path}: commander no longer loads child_process as expected; update scripts/bundle-cli.mjs`);
      return { contents: source.replace(eager, "const childProcess = { spawn: (...a) => require('node:child_process').spawn(...a) };"), loader: 'js' };
    });
  },
};
await rm(`${root}/dist/cli`, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['@aws-sdk/*', '@aws/*', 'execa', '@octokit/*', 'ora', '@clack/*', 'dotenv', 'zod', 'esbuild'],
  // Bundled CommonJS (better-sqlite3, commander) calls require() for Node built-ins.
  banner: { js: "import { createRequire as __anchorRequire } from 'node:module'; const require = __anchorRequire(import.meta.url);" },
  minify: true,
  keepNames: false,
  logLevel: 'warning',
  plugins: [lazyChildProcess],
});
await build({
  absWorkingDir: root,
  entryPoints: { 'handler-child': 'src/adapters/local/runtime/handler-child.ts' },
  outdir: 'dist/cli',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  logLevel: 'warning',
});
