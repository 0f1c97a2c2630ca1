import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BuildEnd } from '../../src/core/ports/builder.js';
import { ProcessBuilder } from '../../src/adapters/local/build/process-builder.js';
import { readLockedTree } from '../../src/adapters/local/build/npm-lockfile.js';
import { NpmPackageStore } from '../../src/adapters/local/build/npm-package-store.js';
import { FakeNpmRegistry } from '../fakes/npm-registry.js';
import { FixtureRepo, outputDir } from './process-builder-fixture.js';

/**
 * Like OpenNext, runs the app's build script, then writes `.open-next/`: here with a listing of
 * node_modules (every folder, file with its mode and content hash, and symlink with its target),
 * so tests can compare what two installs laid out. npm ci's hidden lockfile is not listed.
 */
const FAKE_OPEN_NEXT = `#!/usr/bin/env node
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawnSync } = require('node:child_process');
const result = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
const tree = [];
(function walk(dir) {
  for (const name of fs.readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (full === path.join('node_modules', '.package-lock.json')) continue;
    const info = fs.lstatSync(full);
    const mode = (info.mode & 0o777).toString(8);
    if (info.isSymbolicLink()) tree.push(full + ' -> ' + fs.readlinkSync(full));
    else if (info.isDirectory()) { tree.push(full + '/ ' + mode); walk(full); }
    else tree.push(full + ' ' + mode + ' ' + crypto.createHash('sha1').update(fs.readFileSync(full)).digest('hex'));
  }
})('node_modules');
fs.mkdirSync('.open-next', { recursive: true });
fs.writeFileSync('.open-next/tree.json', JSON.stringify(tree, null, 1));
fs.writeFileSync('.open-next/open-next.output.json', '{}');
`;

let registry: FakeNpmRegistry;
/** The app, with the lockfile npm wrote for it against the registry. */
let app: Record<string, string>;

beforeAll(async () => {
  registry = await new FakeNpmRegistry().start();
  registry.publish({ manifest: { name: 'beta', version: '1.0.0', main: 'index.js' }, files: { 'index.js': "module.exports = 'beta 1';\n" } });
  registry.publish({ manifest: { name: 'beta', version: '2.0.0', main: 'index.js' }, files: { 'index.js': "module.exports = 'beta 2';\n" } });
  registry.publish({
    manifest: { name: 'alpha', version: '1.0.0', bin: { alpha: 'cli.js' }, dependencies: { beta: '^1.0.0' } },
    files: { 'cli.js': "#!/usr/bin/env node\nconsole.log('alpha with ' + require('beta'));\n" },
  });
  // An install script that is not idempotent: run twice on the same folder, it says so.
  registry.publish({
    manifest: { name: 'gamma', version: '1.0.0', scripts: { postinstall: 'node postinstall.js' } },
    files: { 'postinstall.js': "require('node:fs').appendFileSync(__dirname + '/ran.txt', 'postinstall ran\\n');\n" },
  });
  registry.publish({ manifest: { name: 'delta', version: '1.0.0' }, files: { 'index.js': "module.exports = 'delta';\n" } });
  registry.publish({ manifest: { name: 'omega', version: '1.0.0', os: ['win32'] }, files: { 'index.js': "module.exports = 'windows only';\n" } });
  registry.publish({ manifest: { name: 'fake-open-next', version: '1.0.0', bin: { 'open-next': 'bin.js' } }, files: { 'bin.js': FAKE_OPEN_NEXT } });
  app = await appWithLockfile({ dependencies: { alpha: '^1.0.0', beta: '^2.0.0', gamma: '^1.0.0' } });
}, 60_000);

afterAll(async () => {
  await registry.stop();
});

/** package.json, .npmrc and the package-lock.json npm writes for them against the fake registry. */
async function appWithLockfile(deps: { dependencies: Record<string, string> }, scripts: Record<string, string> = {}): Promise<Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'anchor-lock-'));
  try {
    const files: Record<string, string> = {
      'package.json': JSON.stringify({
        name: 'store-app',
        version: '1.0.0',
        private: true,
        scripts: { build: 'alpha && node -e "console.log(require(\'beta\'))"', ...scripts },
        dependencies: deps.dependencies,
        optionalDependencies: { omega: '^1.0.0' },
        devDependencies: { 'fake-open-next': '^1.0.0' },
      }, null, 2),
      '.npmrc': `registry=${registry.url}/\n`,
    };
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    // Not execFileSync: the registry answers from this process.
    await promisify(execFile)('npm', ['install', '--package-lock-only', '--no-audit', '--no-fund'], { cwd: dir, env: { ...process.env, npm_config_cache: join(dir, '.npm') } });
    return { ...files, 'package-lock.json': readFileSync(join(dir, 'package-lock.json'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let root: string;
let repo: FixtureRepo;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'anchor-store-'));
  repo = new FixtureRepo(join(root, 'repo'));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function makeBuilder(packageStoreDir?: string): ProcessBuilder {
  const config = join(root, 'default-open-next.config.ts');
  writeFileSync(config, 'export default {};\n');
  return new ProcessBuilder({
    workDir: join(root, 'work'),
    cacheDir: join(root, 'cache'),
    ...(packageStoreDir === undefined ? {} : { packageStoreDir }),
    defaultOpenNextConfig: config,
    baseEnv: { PATH: process.env.PATH ?? '', HOME: join(root, 'home') },
    stopGraceMs: 1_000,
  });
}

interface Built {
  end: BuildEnd;
  lines: string[];
  /** node_modules as the build saw it. */
  tree: string[];
}

/** Builds the repo's head, keeps what the build saw, and cleans up as the deployer would. */
async function build(builder: ProcessBuilder, env: Record<string, string> = {}): Promise<Built> {
  const lines: string[] = [];
  const { buildId, ended } = await builder.start({
    deploymentId: 'd_store', projectName: 'shop', repoUrl: repo.dir, ref: 'main', commitSha: null, root: '.', env, secretKeys: [], onLine: (line) => lines.push(line),
  });
  const end = await ended;
  const tree = end.ok ? (JSON.parse(readFileSync(join(outputDir(end), 'tree.json'), 'utf8')) as string[]) : [];
  await builder.cleanup(buildId);
  return { end, lines, tree };
}

const has = (lines: string[], text: string): boolean => lines.some((line) => line.includes(text));

describe('npm package store', () => {
  it('installs a second build with the same lockfile from the store: the same node_modules as npm ci, bins linked, each install script run once, nothing downloaded', async () => {
    const builder = makeBuilder();
    repo.commit(app, 'First version');
    const first = await build(builder);
    expect(first.end.ok).toBe(true);
    expect(has(first.lines, 'The package store has not seen this lockfile yet')).toBe(true);
    expect(has(first.lines, 'Installing with npm ci --ignore-scripts')).toBe(true);
    expect(has(first.lines, 'Running install scripts with npm rebuild')).toBe(true);
    expect(first.lines).toContain('alpha with beta 1');
    expect(first.lines).toContain('beta 2');
    // What npm ci laid out: a nested beta@1 under alpha, alpha's bin linked, the Windows-only optional package left out.
    expect(first.tree).toContain('node_modules/.bin/alpha -> ../alpha/cli.js');
    expect(first.tree.some((entry) => entry.startsWith('node_modules/alpha/node_modules/beta/index.js 644 '))).toBe(true);
    expect(first.tree.some((entry) => entry.startsWith('node_modules/omega'))).toBe(false);
    const gammaRan = first.tree.find((entry) => entry.startsWith('node_modules/gamma/ran.txt '));
    expect(gammaRan).toBeDefined();

    const downloads = registry.tarballRequests;
    repo.commit({ 'version.txt': 'v2' }, 'Second version');
    const second = await build(builder);
    expect(second.end.ok).toBe(true);
    expect(has(second.lines, "Installing 5 packages from the build cache's package store")).toBe(true);
    expect(has(second.lines, 'Installing with npm ci')).toBe(false);
    expect(second.lines).toContain('alpha with beta 1');
    // The same tree, file for file, mode for mode; gamma's script ran once on what npm unpacked.
    expect(second.tree).toEqual(first.tree);
    expect(second.tree).toContain(gammaRan);
    expect(registry.tarballRequests).toBe(downloads);
  }, 120_000);

  it('installs a changed lockfile with npm ci once, then from the store', async () => {
    const builder = makeBuilder();
    repo.commit(app, 'First version');
    const first = await build(builder);
    expect(first.end.ok).toBe(true);

    repo.commit(await appWithLockfile({ dependencies: { alpha: '^1.0.0', beta: '^2.0.0', gamma: '^1.0.0', delta: '^1.0.0' } }), 'Add delta');
    const changed = await build(builder);
    expect(changed.end.ok).toBe(true);
    expect(has(changed.lines, 'The package store has not seen this lockfile yet')).toBe(true);
    // gamma, the one package with install scripts, is in the store as npm unpacked it: a plain npm ci.
    expect(changed.lines).toContain('▸ Installing with npm ci');
    expect(changed.tree).toContain(first.tree.find((entry) => entry.startsWith('node_modules/gamma/ran.txt ')));
    expect(changed.tree.some((entry) => entry.startsWith('node_modules/delta/index.js '))).toBe(true);

    repo.commit({ 'version.txt': 'v3' }, 'Same lockfile again');
    const again = await build(builder);
    expect(has(again.lines, "Installing 6 packages from the build cache's package store")).toBe(true);
    expect(again.tree).toEqual(changed.tree);
  }, 120_000);

  it('discards a damaged store entry and installs with npm ci instead', async () => {
    const builder = makeBuilder();
    repo.commit(app, 'First version');
    const first = await build(builder);
    await builder.stopAll();
    const entries = join(root, 'cache', 'shop', 'npm-packages', 'p');
    const damaged = readdirSync(entries).find((key) => existsSync(join(entries, key, 'files', 'cli.js')))!;
    rmSync(join(entries, damaged, 'files', 'cli.js'));

    repo.commit({ 'version.txt': 'v2' }, 'Second version');
    const second = await build(builder);
    expect(second.end.ok).toBe(true);
    expect(has(second.lines, `package store entry ${damaged.slice(0, 12)}… is damaged (1 files where there were 2)`)).toBe(true);
    expect(has(second.lines, 'Installing with npm ci')).toBe(true);
    expect(second.tree).toEqual(first.tree);

    // npm ci's packages put it right for the build after.
    repo.commit({ 'version.txt': 'v3' }, 'Third version');
    const third = await build(builder);
    expect(has(third.lines, "from the build cache's package store")).toBe(true);
    expect(third.tree).toEqual(first.tree);
  }, 120_000);

  it('fills the store from a build that failed after its install, so the fix builds warm', async () => {
    const builder = makeBuilder();
    repo.commit({ ...app, 'package.json': app['package.json']!.replace('"build": "', '"build": "node -e process.exit(3) && ') }, 'Broken build');
    const broken = await build(builder);
    expect(broken.end.ok).toBe(false);

    repo.commit(app, 'Fixed');
    const fixed = await build(builder);
    expect(fixed.end.ok).toBe(true);
    expect(has(fixed.lines, "Installing 5 packages from the build cache's package store")).toBe(true);
  }, 120_000);

  it('never keeps a package the build changed: the next build gets it from npm ci as npm unpacked it', async () => {
    const builder = makeBuilder();
    const touch = "require('node:fs').appendFileSync('node_modules/beta/index.js', 'module.exports = \\'changed by the build\\';\\n');\n";
    repo.commit({ ...app, 'touch.js': touch, 'package.json': app['package.json']!.replace('"build": "', '"build": "node touch.js && ') }, 'A build that changes a package');
    const touching = await build(builder);
    expect(touching.lines).toContain('changed by the build');

    repo.commit({ ...app, 'touch.js': '' }, 'A build that leaves packages alone');
    const after = await build(builder);
    expect(after.end.ok).toBe(true);
    expect(has(after.lines, "The package store lacks 1 of this lockfile's 5 packages")).toBe(true);
    expect(after.lines).toContain('beta 2');
    const original = createHash('sha1').update("module.exports = 'beta 2';\n").digest('hex');
    expect(after.tree).toContain(`node_modules/beta/index.js 644 ${original}`);

    repo.commit({ 'version.txt': 'v3' }, 'Third version');
    const third = await build(builder);
    expect(has(third.lines, "Installing 5 packages from the build cache's package store")).toBe(true);
    expect(third.tree).toEqual(after.tree);
  }, 120_000);

  it.runIf(existsSync('/dev/shm'))('copies packages into a store on another filesystem (builds on disk, store in memory)', async () => {
    const storeDir = mkdtempSync('/dev/shm/anchor-store-test-');
    try {
      const builder = makeBuilder(storeDir);
      repo.commit(app, 'First version');
      const first = await build(builder);
      repo.commit({ 'version.txt': 'v2' }, 'Second version');
      const second = await build(builder);
      expect(has(second.lines, "Installing 5 packages from the build cache's package store")).toBe(true);
      expect(second.tree).toEqual(first.tree);
      expect(readdirSync(join(storeDir, 'shop', 'p'))).toHaveLength(5);
    } finally {
      rmSync(storeDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('is not used, and npm ci installs, when npm ci would do more than unpack the lockfile', async () => {
    const builder = makeBuilder();
    repo.commit({ ...app, 'package.json': app['package.json']!.replace('"scripts": {', '"scripts": {\n    "postinstall": "node -e 0",') }, 'With a postinstall');
    const first = await build(builder);
    expect(first.end.ok).toBe(true);
    expect(has(first.lines, 'Package store not used: package.json has a "postinstall" script, which npm ci runs')).toBe(true);
    expect(has(first.lines, 'Installing with npm ci')).toBe(true);
    await builder.stopAll();
    expect(existsSync(join(root, 'cache', 'shop', 'npm-packages', 'p'))).toBe(false);
  }, 120_000);
});

describe('readLockedTree', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'anchor-locked-'));
    for (const [name, content] of Object.entries(app)) writeFileSync(join(dir, name), content);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const reason = async (env: Record<string, string> = {}, npmrcs: string[] = []): Promise<string | null> => {
    const tree = await readLockedTree(dir, env, npmrcs);
    return tree.ok ? null : tree.reason;
  };

  it('reads every package with its store key, and which have install scripts', async () => {
    const tree = await readLockedTree(dir, {}, [join(dir, '.npmrc')]);
    expect(tree.ok).toBe(true);
    if (!tree.ok) return;
    expect(tree.packages.map((pkg) => pkg.path).sort()).toEqual([
      'node_modules/alpha', 'node_modules/alpha/node_modules/beta', 'node_modules/beta', 'node_modules/fake-open-next', 'node_modules/gamma', 'node_modules/omega',
    ]);
    expect(tree.packages.filter((pkg) => pkg.scripts).map((pkg) => pkg.path)).toEqual(['node_modules/gamma']);
    expect(tree.packages.every((pkg) => /^[0-9a-f]{128}$/.test(pkg.key))).toBe(true);
  });

  it('keys the lockfile by the npm settings too: npm ci decides again once they change', async () => {
    const key = async (env: Record<string, string> = {}): Promise<string> => {
      const tree = await readLockedTree(dir, env, [join(dir, '.npmrc')]);
      if (!tree.ok) throw new Error(tree.reason);
      return tree.lockKey;
    };
    const before = await key();
    expect(await key()).toBe(before);
    // Settings that only change how npm ci checks the lockfile do not stop the store.
    writeFileSync(join(dir, '.npmrc'), `${app['.npmrc']!}legacy-peer-deps=true\n`);
    const withNpmrc = await key();
    expect(withNpmrc).not.toBe(before);
    expect(await key({ npm_config_strict_peer_deps: 'true' })).not.toBe(withNpmrc);
  });

  it('says why not when settings, the environment or the lockfile make npm ci do something else', async () => {
    expect(await reason({ NODE_ENV: 'production' })).toBe('NODE_ENV=production makes npm ci leave devDependencies out');
    expect(await reason({ npm_config_omit: 'dev' })).toBe('the npm setting "omit" (from npm_config_omit) changes what npm ci installs');
    expect(await reason({ ANCHOR_PACKAGE_STORE: 'off' })).toBe('ANCHOR_PACKAGE_STORE is off in the build environment');
    writeFileSync(join(dir, 'user.npmrc'), '; mine\n//registry.example.com/:_authToken=abc\ninstall-strategy = linked\n');
    expect(await reason({}, [join(dir, 'user.npmrc')])).toBe(`the npm setting "install-strategy" (in ${join(dir, 'user.npmrc')}) changes what npm ci installs`);
    // Registry and credentials settings change where packages come from, not what is installed.
    expect(await reason({ npm_config_registry: registry.url, npm_config_cache: '/tmp/x' }, [join(dir, '.npmrc')])).toBeNull();

    const pkg = JSON.parse(app['package.json']!) as { dependencies: Record<string, string> };
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...pkg, dependencies: { ...pkg.dependencies, delta: '^1.0.0' } }));
    expect(await reason()).toBe("package.json's dependencies differ from package-lock.json's (npm ci will say how)");

    const lock = JSON.parse(app['package-lock.json']!) as { packages: Record<string, Record<string, unknown>> };
    writeFileSync(join(dir, 'package.json'), app['package.json']!);
    lock.packages['node_modules/beta'] = { version: '2.0.0', resolved: 'git+ssh://git@github.com/acme/beta.git#abc' };
    writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(lock));
    expect(await reason()).toBe('node_modules/beta has no sha512 integrity (a git or folder dependency)');
    writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ lockfileVersion: 1, dependencies: {} }));
    expect(await reason()).toBe('package-lock.json is version 1, without the package list of version 2 and later (npm 7+ writes it)');
  });

  // The server reads them with its own rights: through a link, from a device that never ends or a FIFO that waits for a writer.
  it('reads a lockfile or an npmrc only when it is a regular file, and says so at once otherwise', async () => {
    rmSync(join(dir, 'package-lock.json'));
    symlinkSync('/dev/zero', join(dir, 'package-lock.json'));
    expect(await readLockedTree(dir, {}, [])).toEqual({ ok: false, reason: `${join(dir, 'package-lock.json')} was not read: it is a link` });
    rmSync(join(dir, 'package-lock.json'));
    writeFileSync(join(dir, 'package-lock.json'), app['package-lock.json']!);
    execFileSync('mkfifo', [join(dir, 'user.npmrc')]);
    expect(await readLockedTree(dir, {}, [join(dir, 'user.npmrc')])).toEqual({ ok: false, reason: `${join(dir, 'user.npmrc')} was not read: it is not a regular file` });
    expect((await readLockedTree(dir, {}, [join(dir, '.npmrc')])).ok).toBe(true);
  });
});

describe('NpmPackageStore', () => {
  it('keeps the packages of the three newest lockfiles and drops the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'anchor-store-keep-'));
    try {
      const store = new NpmPackageStore(join(dir, 'store'));
      const installed = join(dir, 'installed');
      const lockfile = (n: number) => [{ path: `node_modules/p${n}`, key: String(n).repeat(128).slice(0, 128), scripts: false }];
      for (const n of [1, 2, 3, 4]) {
        mkdirSync(join(installed, 'node_modules', `p${n}`), { recursive: true });
        writeFileSync(join(installed, 'node_modules', `p${n}`, 'package.json'), `{"name":"p${n}"}`);
        await store.add({ dir: installed, unpackedAt: Date.now() }, lockfile(n), `lock${n}`, () => undefined);
      }
      const kept = readdirSync(join(dir, 'store', 'p')).map((key) => key[0]).sort();
      expect(kept).toEqual(['2', '3', '4']);
      expect(await store.select(lockfile(1), 'lock1')).toBeNull();
      expect(await store.select(lockfile(2), 'lock2')).toMatchObject({ missing: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
