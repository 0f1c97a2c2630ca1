import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BuildEnd, BuildRequest } from '../../src/core/ports/builder.js';
import { ProcessBuilder } from '../../src/adapters/local/build/process-builder.js';
import { FileArtifacts } from '../../src/adapters/local/store/file-artifacts.js';
import { pickBuildRoot, readBuildRootFacts } from '../../src/adapters/local/build/build-root.js';
import { FixtureRepo, builderScratch, appFiles, isAlive, outputDir, processesWith } from './process-builder-fixture.js';
import { readIsolationFacts } from '../../src/adapters/local/sandbox/isolation.js';
import { testSandboxes } from '../fakes/test-sandboxes.js';

/** A sandbox (its own process tree, a uid of its own as root): what catches a process that left the build's session. */
const isolation = readIsolationFacts(process.env.PATH);
const sandboxAvailable = isolation.isRoot || (isolation.bwrap !== null && isolation.bwrapProblem === null);

/** As `anchor server` decides it: /dev/shm is an executable tmpfs with room for a build. */
const buildsCanRunInMemory = pickBuildRoot({ memoryDir: 'test', diskDir: 'test', concurrency: 1 }, readBuildRootFacts()).inMemory;

let root: string;
let repo: FixtureRepo;
let builder: ProcessBuilder;
let defaultConfig: string;

const baseEnv = (): Record<string, string> => ({ PATH: process.env.PATH ?? '', HOME: join(root, 'home'), AWS_REGION: 'ap-southeast-1' });

beforeEach(() => {
  ({ root, repo, defaultConfig } = builderScratch());
  builder = new ProcessBuilder({ workDir: join(root, 'work'), cacheDir: join(root, 'cache'), defaultOpenNextConfig: defaultConfig, baseEnv: baseEnv(), stopGraceMs: 1_000 });
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A builder whose steps run in the project's sandbox, as in `anchor server`. */
function sandboxedBuilder(): { builder: ProcessBuilder; close(): Promise<void> } {
  const sandbox = testSandboxes();
  const builder = new ProcessBuilder({ workDir: join(root, 'work'), cacheDir: join(root, 'cache'), defaultOpenNextConfig: defaultConfig, baseEnv: baseEnv(), stopGraceMs: 1_000, sandboxes: sandbox.sandboxes });
  return { builder, close: () => sandbox.close(['shop']) };
}

function request(overrides: Partial<BuildRequest> & { lines?: string[] } = {}): BuildRequest {
  const lines = overrides.lines ?? [];
  return {
    deploymentId: 'd_test',
    projectName: 'shop',
    repoUrl: repo.dir,
    ref: 'main',
    commitSha: null,
    root: '.',
    env: {},
    secretKeys: [],
    onLine: (line) => lines.push(line),
    ...overrides,
  };
}

async function build(overrides: Partial<BuildRequest> & { lines?: string[] } = {}): Promise<{ buildId: string; end: BuildEnd; lines: string[] }> {
  const lines = overrides.lines ?? [];
  const { buildId, ended } = await builder.start(request({ ...overrides, lines }));
  const end = await ended;
  return { buildId, end, lines };
}

describe('ProcessBuilder', () => {
  it('clones, installs with npm ci, builds with OpenNext and streams every line in order', async () => {
    const sha = repo.commit(appFiles(), 'First version');
    const { buildId, end, lines } = await build();

    expect(end).toMatchObject({ ok: true, commitSha: sha, commitMessage: 'First version' });
    const at = (text: string): number => lines.findIndex((line) => line.startsWith(text));
    const order = ['▸ Cloning', '▸ Checked out', '▸ Installing with npm ci', '▸ Building with OpenNext', 'fake open-next: building', 'build: step 1', 'build: cache runs=1', 'build: step 2', 'fake open-next: done', '▸ Build finished'];
    const positions = order.map(at);
    expect(positions.every((position) => position >= 0), `missing one of ${order.join(', ')} in\n${lines.join('\n')}`).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(lines).toContain('build: a note on stderr');
    // A redrawn progress line is kept as it last looked.
    expect(lines).toContain('progress 100%');
    expect(lines.some((line) => line.includes('10%'))).toBe(false);

    if (!end.ok) throw new Error('unreachable');
    expect(JSON.parse(readFileSync(join(outputDir(end), 'open-next.output.json'), 'utf8'))).toEqual({ config: 'open-next.config.ts' });
    // The scratch dir stays as the build left it (the artifact beside the checkout) until
    // cleanup(), which removes all of it: removing the checkout first only delays the deployment.
    expect(readdirSync(join(root, 'work', buildId))).toContain('artifact');
    await builder.cleanup(buildId);
    expect(existsSync(join(root, 'work', buildId))).toBe(false);
  });

  it('fails with the build error line in the reason when the build script fails', async () => {
    repo.commit(appFiles({ build: "console.log('compiling');\nconsole.error('Error: Module not found: cannot resolve ./missing');\nprocess.exit(1);\n" }), 'Broken');
    const { buildId, end } = await build();
    expect(end).toMatchObject({ ok: false, stopped: false });
    if (end.ok) throw new Error('unreachable');
    expect(end.reason).toMatch(/^OpenNext build failed \(exit 1\): .*Module not found: cannot resolve \.\/missing/);
    expect(existsSync(join(root, 'work', buildId))).toBe(false);
  });

  it('fails with npm ci and the install error line when the install fails', async () => {
    repo.commit(appFiles({ scripts: { postinstall: "node -e \"console.error('Error: postinstall exploded'); process.exit(3)\"" } }), 'Bad install');
    const { end, lines } = await build();
    if (end.ok) throw new Error(`expected a failure, got ${JSON.stringify(end)}`);
    expect(end.reason).toMatch(/^npm ci failed \(exit \d+\): .*postinstall exploded/);
    // A failure with a warm cache is retried once from an empty one; here the cache was cold.
    expect(lines.filter((line) => line.startsWith('▸ Installing with npm ci'))).toHaveLength(1);
  });

  it('checks out the commit it is given, not the branch head', async () => {
    const first = repo.commit({ ...appFiles(), 'version.txt': 'one' }, 'Version one');
    repo.commit({ 'version.txt': 'two' }, 'Version two');
    const { end } = await build({ commitSha: first });
    if (!end.ok) throw new Error(end.reason);
    expect(end).toMatchObject({ commitSha: first, commitMessage: 'Version one' });
    expect(readFileSync(join(outputDir(end), 'version.txt'), 'utf8')).toBe('one');

    const head = await build();
    if (!head.end.ok) throw new Error(head.end.reason);
    expect(readFileSync(join(outputDir(head.end), 'version.txt'), 'utf8')).toBe('two');
  });

  it('explains a commit that is not on the branch and a branch that does not exist', async () => {
    repo.commit(appFiles(), 'Only commit');
    const missingCommit = 'a'.repeat(40);
    const noCommit = await build({ commitSha: missingCommit });
    expect(noCommit.end).toEqual({ ok: false, stopped: false, reason: `git checkout failed: commit ${missingCommit} not found on branch main`, commitSha: missingCommit, checkedOut: false });

    const noBranch = await build({ ref: 'release' });
    if (noBranch.end.ok) throw new Error('expected a failure');
    expect(noBranch.end.reason).toBe(`git fetch failed: branch or ref "release" not found in ${repo.dir}`);
  });

  it('explains a root directory that is not in the repository', async () => {
    const sha = repo.commit(appFiles(), 'Flat repo');
    const { end } = await build({ root: 'apps/web' });
    expect(end).toEqual({ ok: false, stopped: false, reason: `root directory "apps/web" not found in the repository at ${sha.slice(0, 12)}: check the project's --root`, commitSha: sha, checkedOut: true });
  });

  it.skipIf(!sandboxAvailable)('stop kills every process of the build, even ones that left its process group and session with an empty environment, or ignore SIGTERM', async () => {
    const marker = `anchor-test-${Math.random().toString(36).slice(2)}`;
    repo.commit(appFiles({
      build: `const { spawn } = require('node:child_process');
const idle = 'setInterval(() => {}, 1000)';
const child = spawn(process.execPath, ['-e', idle, '${marker}'], { stdio: 'ignore' });
// setsid, and nothing of the build's environment: neither its group, its session nor a variable tells it is the build's.
const escaped = spawn(process.execPath, ['-e', idle, '${marker}'], { stdio: 'ignore', detached: true, env: {} });
escaped.unref();
const stubborn = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); " + idle, '${marker}'], { stdio: 'ignore' });
setTimeout(() => console.log('build: waiting forever'), 300);
setInterval(() => {}, 1000);
`,
    }), 'Hangs');
    const sandboxed = sandboxedBuilder();
    const lines: string[] = [];
    const { buildId, ended } = await sandboxed.builder.start(request({ lines }));
    try {
      const pids = await waitFor(async () => {
        const found = await processesWith(marker);
        return found.length >= 3 ? found : null;
      });
      expect(pids.every(isAlive)).toBe(true);

      await sandboxed.builder.stop(buildId);
      const end = await ended;
      expect(end).toMatchObject({ ok: false, stopped: true });
      expect(pids.filter(isAlive)).toEqual([]);
      expect(existsSync(join(root, 'work', buildId))).toBe(false);
      // Harmless afterwards, and on a build that never existed.
      await sandboxed.builder.stop(buildId);
      await sandboxed.builder.stop('nope');
    } finally {
      await sandboxed.close();
    }
  });

  it('gives the build a TMPDIR where npm does not install into a package.json up the tree', async () => {
    // OpenNext installs sharp with npm in a temp folder; npm picks the first folder upwards with a
    // package.json. An operator's home often has one, and the platform lives under the home.
    const home = join(root, 'operator-home');
    const underHome = new ProcessBuilder({ workDir: join(home, '.anchor', 'platforms', 'local', 'builds'), cacheDir: join(home, '.anchor', 'cache'), defaultOpenNextConfig: defaultConfig, baseEnv: baseEnv(), stopGraceMs: 500 });
    repo.commit(appFiles({ build: `const fs = require('node:fs'), os = require('node:os'), path = require('node:path');\nconst dir = fs.mkdtempSync(path.join(os.tmpdir(), 'open-next-install-'));\nconsole.log('npm prefix=' + require('node:child_process').execSync('npm prefix', { cwd: dir }).toString().trim() + ' dir=' + dir);\n` }), 'Like OpenNext');
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'package.json'), '{"name":"operator-home"}');
    const lines: string[] = [];
    const { ended } = await underHome.start(request({ lines }));
    expect(await ended).toMatchObject({ ok: true });
    const found = /npm prefix=(\S+) dir=(\S+)/.exec(lines.join('\n'));
    expect(found?.[1]).toBeDefined();
    expect(found?.[1]).toBe(found?.[2]);
    expect(found?.[1]?.startsWith(home)).toBe(false);
  });

  it('a build that hangs past the timeout fails with a reason and leaves no process behind', async () => {
    const pidsFile = join(root, 'pids');
    repo.commit(appFiles({ build: `require('node:fs').writeFileSync(process.env.PIDS_FILE, String(process.pid));\nconsole.log('build: waiting on a network that never answers');\nsetInterval(() => {}, 1000);\n` }), 'Hangs');
    const slow = new ProcessBuilder({ workDir: join(root, 'work'), cacheDir: join(root, 'cache'), defaultOpenNextConfig: defaultConfig, baseEnv: baseEnv(), stopGraceMs: 500, timeoutMs: 10_000 });
    const lines: string[] = [];
    const { ended } = await slow.start(request({ env: { PIDS_FILE: pidsFile }, lines }));
    const end = await ended;
    expect(end).toMatchObject({ ok: false, stopped: false, reason: expect.stringContaining('ran longer than 10 seconds') });
    expect(lines.join('\n'), lines.join('\n')).toContain('build: waiting on a network that never answers');
    expect(isAlive(Number(readFileSync(pidsFile, 'utf8')))).toBe(false);
  });

  it('stops a build right after it started, before any step ran', async () => {
    repo.commit(appFiles(), 'Quick');
    const lines: string[] = [];
    const { buildId, ended } = await builder.start(request({ lines }));
    await builder.stop(buildId);
    expect(await ended).toMatchObject({ ok: false, stopped: true });
    expect(lines).not.toContain('▸ Building with OpenNext');
    expect(existsSync(join(root, 'work', buildId))).toBe(false);
  });

  it.skipIf(!sandboxAvailable)('ends a background process that a successful build left running, though it left the build\'s session', async () => {
    const marker = `anchor-daemon-${Math.random().toString(36).slice(2)}`;
    repo.commit(appFiles({
      build: `const { spawn } = require('node:child_process');
const daemon = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '${marker}'], { stdio: 'ignore', detached: true, env: {} });
daemon.unref();
console.log('build: left a daemon behind');
`,
    }), 'Leaky');
    const sandboxed = sandboxedBuilder();
    try {
      const { ended } = await sandboxed.builder.start(request());
      expect((await ended).ok).toBe(true);
      expect(await processesWith(marker)).toEqual([]);
    } finally {
      await sandboxed.close();
    }
  });

  it('copies what a link out of the output leads to into it (pnpm-style bundles), in the build\'s own sandbox', async () => {
    const secret = join(root, 'platform-secret.key');
    writeFileSync(secret, 'not for builds', { mode: 0o600 });
    chmodSync(root, 0o711);
    const linking = `#!/usr/bin/env node
const fs = require('node:fs');
fs.mkdirSync('.open-next/server-functions/default', { recursive: true });
fs.writeFileSync('.open-next/server-functions/default/index.mjs', 'export const handler = 1;');
fs.writeFileSync('.open-next/open-next.output.json', '{}');
fs.writeFileSync('shared.js', 'shared from the repo');
fs.symlinkSync('../../../shared.js', '.open-next/server-functions/default/shared.js');
if (process.env.LINK_TO) fs.symlinkSync(process.env.LINK_TO, '.open-next/server-functions/default/stolen.txt');
`;
    repo.commit({ ...appFiles(), 'vendor/fake-open-next/bin.js': linking }, 'Links');
    const sandboxed = sandboxAvailable ? sandboxedBuilder() : { builder, close: async () => undefined };
    const artifacts = new FileArtifacts(join(root, 'artifacts'));
    try {
      const fine = await sandboxed.builder.start(request({ deploymentId: 'd_fine' }));
      const built = await fine.ended;
      expect(built.ok, JSON.stringify(built)).toBe(true);
      const stored = await artifacts.store({ projectName: 'shop', deploymentId: 'd_fine' }, { kind: 'directory', path: outputDir(built) });
      expect(readFileSync(join(stored.location, 'server-functions', 'default', 'shared.js'), 'utf8')).toBe('shared from the repo');

      if (!sandboxAvailable) return;
      // A link at a file only the server may read: the build cannot copy it, and the store refuses the link.
      const stealing = await sandboxed.builder.start(request({ deploymentId: 'd_steal', env: { LINK_TO: secret } }));
      const end = await stealing.ended;
      expect(end.ok).toBe(true);
      await expect(artifacts.store({ projectName: 'shop', deploymentId: 'd_steal' }, { kind: 'directory', path: outputDir(end) })).rejects.toMatchObject({ code: 'OUTPUT_LINKS_OUT' });
      expect(await artifacts.get({ projectName: 'shop', deploymentId: 'd_steal' })).toBeNull();
    } finally {
      await sandboxed.close();
    }
  });

  it('passes the build env through and keeps every AWS_* variable out', async () => {
    const dump = join(root, 'env.json');
    repo.commit(appFiles(), 'Env');
    const { end } = await build({ env: { ENV_DUMP: dump, SITE_NAME: 'Shop', AWS_SECRET_ACCESS_KEY: 'leak' } });
    if (!end.ok) throw new Error(end.reason);
    const seen = JSON.parse(readFileSync(dump, 'utf8')) as Record<string, string>;
    expect(seen.SITE_NAME).toBe('Shop');
    expect(seen.NEXT_TELEMETRY_DISABLED).toBe('1');
    expect(seen.HOME).toBe(join(root, 'home'));
    expect(Object.keys(seen).filter((key) => key.startsWith('AWS_'))).toEqual([]);
    // Nothing of the parent process's own environment leaks in.
    expect(seen.VITEST).toBeUndefined();
  });

  it('copies the default open-next config only into an app that has none', async () => {
    repo.commit(appFiles(), 'No config');
    const without = await build();
    if (!without.end.ok) throw new Error(without.end.reason);
    expect(readFileSync(join(outputDir(without.end), 'config.txt'), 'utf8')).toBe('// anchor default config\nexport default {};\n');
    expect(without.lines).toContain("▸ No open-next.config.ts in the app; using anchor's default");

    repo.commit({ 'open-next.config.mjs': 'export default { mine: true };\n' }, 'Own config');
    const own = await build();
    if (!own.end.ok) throw new Error(own.end.reason);
    expect(readFileSync(join(outputDir(own.end), 'config.txt'), 'utf8')).toBe('export default { mine: true };\n');
  });

  it('keeps .next/cache between builds of a project, not across projects', async () => {
    repo.commit(appFiles(), 'Cached');
    const first = await build();
    expect(first.lines).toContain('build: cache runs=1');
    const second = await build();
    expect(second.lines).toContain('▸ Restored .next/cache from the previous build');
    expect(second.lines).toContain('build: cache runs=2');
    const other = await build({ projectName: 'blog' });
    expect(other.lines).toContain('build: cache runs=1');
  });

  it.skipIf(!buildsCanRunInMemory)('building on another filesystem than the cache (in memory) keeps .next/cache all the same, and a build with no room there runs on disk and says so', async () => {
    const memory = mkdtempSync('/dev/shm/anchor-builder-test-');
    try {
      let noRoom: string | null = null;
      builder = new ProcessBuilder({
        workDir: join(memory, 'work'),
        spill: { workDir: join(root, 'work'), noRoom: () => noRoom },
        cacheDir: join(root, 'cache'),
        defaultOpenNextConfig: defaultConfig,
        baseEnv: baseEnv(),
        stopGraceMs: 1_000,
      });
      repo.commit(appFiles(), 'Cached');
      const first = await build();
      if (!first.end.ok) throw new Error(first.end.reason);
      expect(outputDir(first.end).startsWith(memory)).toBe(true);
      await builder.cleanup(first.buildId);
      expect(readdirSync(join(memory, 'work'))).toEqual([]);
      const second = await build();
      expect(second.lines).toContain('build: cache runs=2');
      await builder.cleanup(second.buildId);

      noRoom = '/dev/shm has 0.5 GiB free';
      const third = await build();
      if (!third.end.ok) throw new Error(third.end.reason);
      expect(third.lines).toContain('▸ Building on disk this time: /dev/shm has 0.5 GiB free');
      expect(outputDir(third.end).startsWith(join(root, 'work'))).toBe(true);
      expect(third.lines).toContain('build: cache runs=3');
      await builder.cleanup(third.buildId);
      expect(readdirSync(join(root, 'work'))).toEqual([]);
    } finally {
      rmSync(memory, { recursive: true, force: true });
    }
  });

  it('discards a corrupt cache with a log line and still builds', async () => {
    repo.commit(appFiles(), 'Cached');
    expect((await build()).end.ok).toBe(true);
    const cache = join(root, 'cache', 'shop');
    writeFileSync(join(cache, 'cache.json'), '{ not json');
    const afterManifest = await build();
    expect(afterManifest.end.ok).toBe(true);
    expect(afterManifest.lines).toContain('▸ Build cache unreadable (cache.json is not JSON); discarding it and building cold');
    expect(afterManifest.lines).toContain('build: cache runs=1');

    // Entries that are files where directories belong.
    for (const entry of ['next', 'npm']) {
      rmSync(join(cache, entry), { recursive: true, force: true });
      writeFileSync(join(cache, entry), 'garbage');
    }
    const afterEntries = await build();
    expect(afterEntries.end.ok).toBe(true);
    expect(afterEntries.lines).toContain('▸ Build cache entry "npm" is damaged; discarding it');
    expect(afterEntries.lines.some((line) => line.startsWith('▸ Saved .next/cache unreadable'))).toBe(true);
    expect(afterEntries.lines).toContain('build: cache runs=1');
  });

  it.skipIf(findExecutableSync('pnpm'))('says so when the lockfile needs a package manager the machine lacks', async () => {
    const files = appFiles();
    delete files['package-lock.json'];
    repo.commit({ ...files, 'pnpm-lock.yaml': "lockfileVersion: '9.0'\n" }, 'pnpm app');
    const { end } = await build();
    if (end.ok) throw new Error('expected a failure');
    expect(end.reason).toMatch(/^pnpm is not installed on the build machine \(pnpm-lock.yaml needs it\): install it/);
  });
});

async function waitFor<T>(probe: () => T | null | Promise<T | null>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function findExecutableSync(name: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir !== '' && existsSync(join(dir, name)));
}
