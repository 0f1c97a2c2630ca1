// Bundles the CLI into dist/cli/ (ES modules named .mjs) so `anchor` starts fast: a handful of
// files to load instead of ~80 modules (commander and better-sqlite3's JavaScript included). Each
// command stays in a chunk of its own, loaded only when it runs; the AWS SDK, execa, Octokit and
// the prompt libraries stay ordinary packages, loaded on demand. The handler child is a bundle of
// its own, one file that shares no chunk with the CLI: anchor server copies it where every
// project's sandbox can read it.
import { build } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
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
// Bundled CommonJS (better-sqlite3, commander) calls require() for Node built-ins, through esbuild's
// __require in the runtime chunk. Only the files whose code uses require get one: createRequire in
// each of the ~20 chunks `projects ls` loads cost it a fifth of its start (`npm run bench -- startup`).
const REQUIRE = "import { createRequire as __anchorRequire } from 'node:module'; const require = __anchorRequire(import.meta.url);\n";
const usesRequire = (code) => /(^|[^\w$.])require([^\w$]|$)/.test(code);

/**
 * picocolors decides when it loads whether stdout is a terminal, by reading process.stdout, which
 * makes Node build the stdout stream (and load node:tty or node:net, ~5–7 ms) in every command.
 * anchor only uses its createColors, told whether to color (cli/ui.ts): the default it would
 * compute is never used, so it is not computed.
 */
const picocolorsWithoutStdout = {
  name: 'picocolors-without-stdout',
  setup(b) {
    b.onLoad({ filter: /[\\/]picocolors[\\/]picocolors\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const eager = '(p.stdout || {}).isTTY';
      if (!source.includes(eager)) throw new Error(`${args.path}: picocolors no longer reads process.stdout as expected; update scripts/bundle-cli.mjs`);
      return { contents: source.replace(eager, 'false'), loader: 'js' };
    });
  },
};

/**
 * Node built-ins are taken with require, not imported as ES modules: an ES import of a built-in
 * makes Node build a facade of all its exports, reading every lazy one (`import 'node:fs'` loads
 * the whole stream machinery for fs.ReadStream). esbuild keeps them as imports in ESM output, so
 * each chunk's are rewritten here; one left in a shape this does not know fails the build.
 */
const BUILTIN_IMPORT = /import\s*(\{[^}]*\}|\*\s*as\s*[\w$]+|[\w$]+)\s*from\s*"(node:[a-z_/0-9]+)";?/g;
function requireBuiltins(file, code) {
  const rewritten = code.replace(BUILTIN_IMPORT, (_, what, name) => {
    const required = `require(${JSON.stringify(name)})`;
    if (what.startsWith('{')) {
      if (/\bdefault\b/.test(what)) throw new Error(`${file}: a default import of ${name} by name; update requireBuiltins in scripts/bundle-cli.mjs`);
      return `const${what.replace(/([\w$]+)\s+as\s+([\w$]+)/g, '$1:$2')}=${required};`;
    }
    return `const ${what.replace(/^\*\s*as\s*/, '')}=${required};`;
  });
  if (/(^|[;}\n])\s*import[^;]*?["']node:/.test(rewritten)) throw new Error(`${file}: a built-in is still imported as an ES module; update requireBuiltins in scripts/bundle-cli.mjs`);
  return rewritten;
}

await rm(`${root}/dist/cli`, { recursive: true, force: true });
const cli = await build({
  absWorkingDir: root,
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist/cli',
  // .mjs: Node knows each chunk is an ES module by its name, without looking for a package.json.
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['@aws-sdk/*', '@aws/*', '@smithy/*', 'execa', '@octokit/*', 'ora', '@clack/*', 'zod', 'esbuild'],
  minify: true,
  keepNames: false,
  logLevel: 'warning',
  plugins: [lazyChildProcess, picocolorsWithoutStdout],
  write: false,
});
await mkdir(`${root}/dist/cli`, { recursive: true });
for (const file of cli.outputFiles) {
  const code = requireBuiltins(file.path, file.text);
  await writeFile(file.path, usesRequire(code) ? REQUIRE + code : code);
}
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
