#!/usr/bin/env node
// anchor's OpenNext build: `open-next build` itself, with what repeats between two pushes reused.
//
// Run from the app's directory, in place of `open-next build`:
//   node open-next-build.mjs --cache <dir>     (the project's packaging cache; without it: no reuse)
//
// It runs the app's own OpenNext CLI (@opennextjs/aws's dist/index.js, `build`), unchanged and in
// this process. Two of its steps do the same work on identical inputs at every push; their results
// are kept in the cache, keyed by content, and put back instead of redone:
// - the code patches OpenNext applies to Next.js's own files in each server function (ast-grep, the
//   longest step after `next build`). A module hook (open-next-hooks.mjs) hands OpenNext's server
//   bundler a codePatcher module whose applyCodePatches first looks each file up by its content,
//   the patches that apply to it and the OpenNext/Next.js versions and bundler, and gives OpenNext's
//   own applyCodePatches only the files it has not seen (open-next-patch-cache.mjs);
// - the image function's `npm install sharp@…` (OpenNext runs `npm install` in a temp folder): an
//   `npm` first on PATH serves it from the cache, keyed by its exact arguments, npm's and Node's
//   versions, and only for exact package versions; every other npm command goes to the real npm.
// OpenNext's files are not changed or copied. Reusing a patched file rests on what the patches read
// (only the file's code, for the versions in CHECKED); any other version runs `open-next build`
// unchanged and says so in one line.
//
// The cache is the project's own (a build cannot reach another project's), bounded in size
// (oldest entries go first), and an entry that cannot be read is a miss, never an error.
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire, register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isDir, readIfFile, readJson, touch } from './open-next-cache-files.mjs';

/** OpenNext versions whose patches were read: each is a function of the file's code alone. */
const CHECKED = new Set(['4.1.16']);
const FORMAT = 'anchor-pack-2';
/** Above this, the oldest entries are removed after the build. */
const MAX_CACHE_BYTES = 400 * 1024 * 1024;
const say = (line) => console.log(`▸ ${line}`);

const args = process.argv.slice(2);
if (args[0] === '--npm-shim') process.exit(npmShim(args.slice(1)));
const cacheDir = args[0] === '--cache' && args[1] ? path.resolve(args[1]) : null;
await main();

async function main() {
  const req = createRequire(path.join(process.cwd(), 'package.json'));
  let distDir;
  try {
    distDir = path.dirname(fs.realpathSync(req.resolve('@opennextjs/aws/build.js')));
  } catch {
    return fullBuild('@opennextjs/aws not found from the app');
  }
  const version = readJson(path.join(distDir, '..', 'package.json'))?.version;
  if (cacheDir === null) return fullBuild('no cache directory given');
  if (!CHECKED.has(version)) return fullBuild(`OpenNext ${version} is not a version anchor has checked (${[...CHECKED].join(', ')})`);
  if (typeof register !== 'function') return fullBuild(`Node ${process.version} has no module hooks`);
  fs.mkdirSync(path.join(cacheDir, 'patches'), { recursive: true });
  register('./open-next-hooks.mjs', import.meta.url, {
    data: { bundler: pathToFileURL(path.join(distDir, 'build', 'createServerBundle.js')).href, cache: new URL('./open-next-patch-cache.mjs', import.meta.url).href },
  });
  Object.assign(process.env, { ANCHOR_PACK_CACHE: cacheDir, ANCHOR_PACK_KEY: `${FORMAT}:${version}` });
  const npm = npmShimOnPath();
  const started = Date.now();
  process.on('exit', (code) => {
    const patches = globalThis.__anchorPatchCache;
    const installs = npm.done();
    if (code === 0 && patches) {
      say(`Packaging cache: code patches ${(patches.ms / 1000).toFixed(1)} s (${patches.reused} files reused, ${patches.patched} patched); image function dependencies ${installs.seconds.toFixed(1)} s (${installs.lines.length === 0 ? 'none installed' : installs.lines.join('; ')})`);
    } else if (code === 0) {
      say(`Packaging cache: no code patches ran (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    }
    if (code === 0) prune(cacheDir);
  });
  const cli = path.join(distDir, 'index.js');
  process.argv = [process.argv[0], cli, 'build'];
  await import(pathToFileURL(cli).href);
}

function fullBuild(reason) {
  say(`Packaging cache not used (${reason}): full OpenNext build`);
  const result = spawnSync('open-next', ['build'], { stdio: 'inherit' });
  if (result.error) console.error(String(result.error));
  process.exitCode = result.status ?? 1;
}

/**
 * Puts an `npm` first on PATH that serves OpenNext's dependency installs (in its
 * `open-next-install-*` temp folders) from the cache; returns how to read what it did.
 */
function npmShimOnPath() {
  const realNpm = findOnPath('npm', process.env.PATH ?? '');
  if (realNpm === null) return { done: () => ({ seconds: 0, lines: ['not cached: npm not found on PATH'] }) };
  const shimDir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'anchor-npm-shim-'));
  const status = path.join(shimDir, 'status');
  fs.writeFileSync(path.join(shimDir, 'npm'), `#!/bin/sh\nexec "${process.execPath}" "${import.meta.filename}" --npm-shim "$@"\n`, { mode: 0o755 });
  Object.assign(process.env, { PATH: `${shimDir}${path.delimiter}${process.env.PATH ?? ''}`, ANCHOR_REAL_NPM: realNpm, ANCHOR_NPM_STATUS: status });
  return {
    done() {
      const lines = (readIfFile(status)?.toString('utf8') ?? '').trim().split('\n').filter(Boolean);
      fs.rmSync(shimDir, { recursive: true, force: true });
      const seconds = lines.reduce((sum, line) => sum + Number(/ in ([\d.]+) s$/.exec(line)?.[1] ?? 0), 0);
      return { seconds, lines };
    },
  };
}

/** The `npm` OpenNext's installDependencies runs: `npm install --os=… --cpu=… --libc=… pkg@x.y.z …`. */
function npmShim(npmArgs) {
  const realNpm = process.env.ANCHOR_REAL_NPM;
  const cache = process.env.ANCHOR_PACK_CACHE;
  const started = Date.now();
  const report = (line) => fs.appendFileSync(process.env.ANCHOR_NPM_STATUS, `${line} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  const real = () => spawnSync(realNpm, npmArgs, { stdio: 'inherit' }).status ?? 1;
  const ours = path.basename(process.cwd()).startsWith('open-next-install-') && npmArgs[0] === 'install';
  if (!ours || !cache) return real();
  const packages = npmArgs.slice(1).filter((arg) => !arg.startsWith('-'));
  const pinned = packages.length > 0 && packages.every((spec) => /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*@\d+\.\d+\.\d+$/i.test(spec));
  const npmVersion = npmVersionOf(realNpm);
  if (!pinned || npmVersion === null) {
    report(`${packages.join(' ')} installed, not cached (${pinned ? "npm's version unknown" : 'not exact versions'})`);
    return real();
  }
  const key = createHash('sha256').update([FORMAT, 'npm-install', npmVersion, process.version, ...npmArgs.slice(1)].join('\0')).digest('hex');
  const entry = path.join(cache, 'installs', key);
  if (isDir(path.join(entry, 'node_modules'))) {
    fs.cpSync(path.join(entry, 'node_modules'), 'node_modules', { recursive: true, verbatimSymlinks: true });
    touch(entry);
    report(`${packages.join(' ')} reused`);
    return 0;
  }
  const code = real();
  if (code === 0 && isDir('node_modules')) {
    const fresh = `${entry}.new-${randomBytes(4).toString('hex')}`;
    try {
      fs.cpSync('node_modules', path.join(fresh, 'node_modules'), { recursive: true, verbatimSymlinks: true });
      fs.rmSync(entry, { recursive: true, force: true });
      fs.renameSync(fresh, entry);
    } catch {
      fs.rmSync(fresh, { recursive: true, force: true });
    }
    report(`${packages.join(' ')} installed and cached`);
  }
  return code;
}

/** npm's version from its own package.json (cheaper than `npm --version`), or null. */
function npmVersionOf(npm) {
  try {
    for (let dir = path.dirname(fs.realpathSync(npm)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
      const manifest = readJson(path.join(dir, 'package.json'));
      if (manifest?.name === 'npm') return manifest.version ?? null;
    }
  } catch {
    // Not found: unknown.
  }
  return null;
}

function findOnPath(name, pathValue) {
  for (const dir of pathValue.split(path.delimiter)) {
    if (dir === '') continue;
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // Not here.
    }
  }
  return null;
}

/** Removes the least recently used entries while the cache is over MAX_CACHE_BYTES. */
function prune(dir) {
  const entries = [];
  for (const group of ['patches', 'installs']) {
    const groupDir = path.join(dir, group);
    for (const name of safeList(groupDir)) {
      const full = path.join(groupDir, name);
      const info = fs.lstatSync(full, { throwIfNoEntry: false });
      if (info) entries.push({ full, used: info.mtimeMs, bytes: info.isDirectory() ? treeBytes(full) : info.size });
    }
  }
  let total = entries.reduce((sum, entry) => sum + entry.bytes, 0);
  for (const entry of entries.sort((a, b) => a.used - b.used)) {
    if (total <= MAX_CACHE_BYTES) break;
    fs.rmSync(entry.full, { recursive: true, force: true });
    total -= entry.bytes;
  }
}

function treeBytes(dir) {
  let bytes = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) bytes += fs.lstatSync(path.join(entry.parentPath, entry.name)).size;
  }
  return bytes;
}

function safeList(dir) {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

