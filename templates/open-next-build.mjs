#!/usr/bin/env node
// anchor's OpenNext build driver: `open-next build`, with what repeats between two pushes reused.
//
// Run from the app's directory, in place of `open-next build`:
//   node open-next-build.mjs --cache <dir>     (the project's packaging cache; without it: no reuse)
//
// It runs OpenNext's own build steps, imported from the app's @opennextjs/aws, in OpenNext's order
// (dist/build.js). Two steps do the same work on identical inputs at every push; their results are
// kept in the cache, keyed by content, and put back instead of redone:
// - the code patches OpenNext applies to Next.js's own files in the server function (ast-grep, the
//   longest step after `next build`): per file, keyed by the file's content, the patches whose
//   path filter matched it, and the OpenNext and Next.js versions and bundler they depend on;
// - the image function's `npm install sharp@…` (OpenNext runs `npm install` in a temp folder): keyed
//   by its exact arguments, npm's and Node's versions, and kept only for exact package versions.
// OpenNext itself is not changed. The patch step's reuse rests on what the patches read (only the
// file's code): that was checked for the versions in CHECKED; any other version, or a config this
// driver does not reproduce, runs `open-next build` unchanged and says so in one line.
//
// The cache is the project's own (a build cannot reach another project's), bounded in size
// (oldest entries go first), and an entry that cannot be read is a miss, never an error.
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** OpenNext versions whose build steps and patches were read for this driver. */
const CHECKED = new Set(['4.1.16']);
const FORMAT = 'anchor-pack-1';
/** Above this, the oldest entries are removed after the build. */
const MAX_CACHE_BYTES = 400 * 1024 * 1024;
const say = (line) => console.log(`▸ ${line}`);

const args = process.argv.slice(2);
if (args[0] === '--npm-shim') process.exit(npmShim(args.slice(1)));
const cacheDir = args[0] === '--cache' && args[1] ? path.resolve(args[1]) : null;
await main();

async function main() {
  const appDir = process.cwd();
  const req = createRequire(path.join(appDir, 'package.json'));
  let buildJs;
  try {
    buildJs = req.resolve('@opennextjs/aws/build.js');
  } catch {
    return fullBuild('@opennextjs/aws not found from the app');
  }
  const distDir = path.dirname(buildJs);
  const version = readJson(path.join(distDir, '..', 'package.json'))?.version;
  if (cacheDir === null) return fullBuild('no cache directory given');
  if (!CHECKED.has(version)) return fullBuild(`OpenNext ${version} is not a version anchor has checked (${[...CHECKED].join(', ')})`);
  const config = await import(pathToFileURL(path.join(distDir, 'build', 'compileConfig.js')).href);
  const { config: openNextConfig, buildDir } = await config.compileOpenNextConfig(path.join(appDir, 'open-next.config.ts'), {});
  const why = unsupported(openNextConfig);
  if (why !== null) return fullBuild(why, { buildDir });
  fs.mkdirSync(cacheDir, { recursive: true });
  await build(distDir, version, openNextConfig, buildDir);
  prune(cacheDir);
}

/** What this driver does not reproduce (it only transcribes OpenNext's path for one default server function). */
function unsupported(config) {
  if (Object.keys(config.functions ?? {}).length > 0) return 'the OpenNext config splits the server into several functions';
  if (config.default?.runtime !== undefined && config.default.runtime !== 'node') return `the server function's runtime is ${config.default.runtime}`;
  if (config.default?.experimentalBundledNextServer) return 'the config bundles the Next server (experimentalBundledNextServer)';
  return null;
}

function fullBuild(reason, { buildDir } = {}) {
  if (buildDir) fs.rmSync(buildDir, { recursive: true, force: true });
  say(`Packaging cache not used (${reason}): full OpenNext build`);
  const result = spawnSync('open-next', ['build'], { stdio: 'inherit' });
  if (result.error) console.error(String(result.error));
  process.exitCode = result.status ?? 1;
}

async function build(distDir, version, config, buildDir) {
  const load = (file) => import(pathToFileURL(path.join(distDir, file)).href);
  const helper = await load('build/helper.js');
  const { buildNextjsApp, setStandaloneBuildMode } = await load('build/buildNextApp.js');
  const { printHeader } = await load('build/utils.js');
  const { default: logger } = await load('logger.js');
  const { patchOriginalNextConfig } = await load('build/patch/patches/index.js');
  const { compileCache } = await load('build/compileCache.js');
  const { createMiddleware } = await load('build/createMiddleware.js');
  const { createCacheAssets, createStaticAssets } = await load('build/createAssets.js');
  const { compileTagCacheProvider } = await load('build/compileTagCacheProvider.js');
  const { createRevalidationBundle } = await load('build/createRevalidationBundle.js');
  const { createImageOptimizationBundle } = await load('build/createImageOptimizationBundle.js');
  const { createWarmerBundle } = await load('build/createWarmerBundle.js');
  const { generateOutput } = await load('build/generateOutput.js');
  const { createServerBundle } = await import('./open-next-server-bundle.mjs');

  // dist/build.js of OpenNext, step by step.
  const options = helper.normalizeOptions(config, distDir + path.sep, buildDir);
  logger.setLevel(options.debug ? 'debug' : 'info');
  helper.checkRunningInsideNextjsApp(options);
  helper.printNextjsVersion(options);
  helper.printOpenNextVersion(options);
  helper.checkNextVersionSupport(options.nextVersion, false);
  printHeader('Building Next.js app');
  setStandaloneBuildMode(options);
  helper.initOutputDir(options);
  buildNextjsApp(options);
  printHeader('Generating bundle');
  await patchOriginalNextConfig(options);
  compileCache(options);
  await createMiddleware(options);
  createStaticAssets(options);
  if (config.dangerous?.disableIncrementalCache !== true) {
    const { useTagCache } = createCacheAssets(options);
    if (useTagCache) await compileTagCacheProvider(options);
  }
  const patched = patchCache(version, options);
  await createServerBundle(options, distDir, patched.apply);
  await createRevalidationBundle(options);
  const deps = await withNpmShim(() => createImageOptimizationBundle(options));
  await createWarmerBundle(options);
  await generateOutput(options);
  logger.info('OpenNext build complete.');
  say(`Packaging cache: code patches ${patched.summary()}; image function dependencies ${deps}`);
}

/**
 * OpenNext's applyCodePatches, with each file's result reused when its inputs are the same: the
 * patches whose path filter matches it and its content (the patches of a checked OpenNext version
 * read nothing else: each is `createPatchCode(rule)`, a function of the code alone; the rules
 * depend on the OpenNext and Next.js versions and, for one, the bundler).
 */
function patchCache(version, options) {
  const dir = path.join(cacheDir, 'patches');
  fs.mkdirSync(dir, { recursive: true });
  let reused = 0, patchedNow = 0, seconds = 0;
  const apply = async (applyCodePatches, helper, isVersionInRange, tracedFiles, manifests, codePatcher) => {
    const started = Date.now();
    const patches = codePatcher.flatMap(({ patches: list }) => list.filter(({ versions }) => isVersionInRange(options.nextVersion, versions)));
    const base = [FORMAT, version, options.nextVersion, helper.getBundlerRuntime(options)].join('\0');
    const misses = [];
    const keys = new Map();
    for (const file of tracedFiles) {
      const matched = patches.flatMap((patch, i) => (file.match(patch.pathFilter) ? [i] : []));
      if (matched.length === 0) continue;
      const content = fs.readFileSync(file);
      const key = createHash('sha256').update(base).update('\0').update(matched.join(',')).update('\0').update(content).digest('hex');
      const entry = path.join(dir, key);
      const saved = readIfFile(entry);
      if (saved !== null) {
        fs.writeFileSync(file, saved);
        touch(entry);
        reused += 1;
      } else {
        misses.push(file);
        keys.set(file, entry);
      }
    }
    if (misses.length > 0) await applyCodePatches(options, misses, manifests, codePatcher);
    for (const file of misses) writeEntry(keys.get(file), fs.readFileSync(file));
    patchedNow += misses.length;
    seconds += (Date.now() - started) / 1000;
  };
  return { apply, summary: () => `${seconds.toFixed(1)} s (${reused} files reused, ${patchedNow} patched)` };
}

/**
 * Runs `step` with an `npm` first on PATH that serves OpenNext's dependency installs (in its
 * `open-next-install-*` temp folders) from the cache; every other npm command goes to the real npm.
 */
async function withNpmShim(step) {
  const realNpm = findOnPath('npm', process.env.PATH ?? '');
  if (realNpm === null) {
    await step();
    return 'not cached (npm not found on PATH)';
  }
  const shimDir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'anchor-npm-shim-'));
  const status = path.join(shimDir, 'status');
  const shim = path.join(shimDir, 'npm');
  fs.writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${import.meta.filename}" --npm-shim "$@"\n`, { mode: 0o755 });
  const saved = { PATH: process.env.PATH, ANCHOR_REAL_NPM: process.env.ANCHOR_REAL_NPM, ANCHOR_NPM_STATUS: process.env.ANCHOR_NPM_STATUS, ANCHOR_PACK_CACHE: process.env.ANCHOR_PACK_CACHE };
  Object.assign(process.env, { PATH: `${shimDir}${path.delimiter}${process.env.PATH ?? ''}`, ANCHOR_REAL_NPM: realNpm, ANCHOR_NPM_STATUS: status, ANCHOR_PACK_CACHE: cacheDir });
  const started = Date.now();
  try {
    await step();
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
  const lines = (readIfFile(status)?.toString('utf8') ?? '').trim();
  fs.rmSync(shimDir, { recursive: true, force: true });
  return `${((Date.now() - started) / 1000).toFixed(1)} s (${lines === '' ? 'none installed' : lines.split('\n').join('; ')})`;
}

/** The `npm` OpenNext's installDependencies runs: `npm install --os=… --cpu=… --libc=… pkg@x.y.z …`. */
function npmShim(npmArgs) {
  const realNpm = process.env.ANCHOR_REAL_NPM;
  const cache = process.env.ANCHOR_PACK_CACHE;
  const report = (line) => fs.appendFileSync(process.env.ANCHOR_NPM_STATUS, `${line}\n`);
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

/** Written whole under another name, then renamed: a reader never sees half an entry. */
function writeEntry(entry, content) {
  const temp = `${entry}.new-${randomBytes(4).toString('hex')}`;
  try {
    fs.writeFileSync(temp, content);
    fs.renameSync(temp, entry);
  } catch {
    fs.rmSync(temp, { force: true });
  }
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

function touch(file) {
  const now = new Date();
  try {
    fs.utimesSync(file, now, now);
  } catch {
    // Only the eviction order depends on it.
  }
}

function readIfFile(file) {
  try {
    return fs.lstatSync(file).isFile() ? fs.readFileSync(file) : null;
  } catch {
    return null;
  }
}

function isDir(dir) {
  return fs.lstatSync(dir, { throwIfNoEntry: false })?.isDirectory() === true;
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}
