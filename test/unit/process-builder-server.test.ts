import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BuildRequest } from '../../src/core/ports/builder.js';
import { ProcessBuilder } from '../../src/adapters/local/build/process-builder.js';
import { readIsolationFacts } from '../../src/adapters/local/sandbox/isolation.js';
import { FixtureRepo, builderScratch, appFiles, isAlive, processesWith } from './process-builder-fixture.js';
import { testSandboxes } from '../fakes/test-sandboxes.js';

/** ProcessBuilder as `anchor server` drives it: steps it holds back, builds as a project's uid without bubblewrap, and what it does itself in the folders a build writes. */
const isolation = readIsolationFacts(process.env.PATH);

let root: string;
let repo: FixtureRepo;
let defaultConfig: string;

const baseEnv = (): Record<string, string> => ({ PATH: process.env.PATH ?? '', HOME: join(root, 'home') });

beforeEach(() => {
  ({ root, repo, defaultConfig } = builderScratch());
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function request(overrides: Partial<BuildRequest> & { lines?: string[] } = {}): BuildRequest {
  const lines = overrides.lines ?? [];
  return { deploymentId: 'd_test', projectName: 'shop', repoUrl: repo.dir, ref: 'main', commitSha: null, root: '.', env: {}, secretKeys: [], onLine: (line) => lines.push(line), ...overrides };
}

/** A builder as the server makes one, in `sandboxes` when given. */
function newBuilder(sandboxes?: ReturnType<typeof testSandboxes>['sandboxes']): ProcessBuilder {
  return new ProcessBuilder({ workDir: join(root, 'work'), cacheDir: join(root, 'cache'), defaultOpenNextConfig: defaultConfig, baseEnv: baseEnv(), stopGraceMs: 1_000, ...(sandboxes ? { sandboxes } : {}) });
}

/** One build of the repo's head: how it ended, and every line it logged. */
async function build(builder: ProcessBuilder): Promise<{ ok: boolean; lines: string[] }> {
  const lines: string[] = [];
  const { ended } = await builder.start(request({ lines }));
  return { ok: (await ended).ok, lines };
}

describe('ProcessBuilder in anchor server', () => {
  it('starts no step while the server holds steps back, and a stop during the hold ends the build as stopped', async () => {
    repo.commit(appFiles(), 'Held');
    let release: () => void = () => undefined;
    let asked = 0;
    const held = new ProcessBuilder({
      workDir: join(root, 'work'), cacheDir: join(root, 'cache'), defaultOpenNextConfig: defaultConfig, baseEnv: baseEnv(), stopGraceMs: 1_000,
      beforeStep: () => { asked += 1; return new Promise<void>((resolve) => { release = resolve; }); },
    });
    const lines: string[] = [];
    const { buildId, ended } = await held.start(request({ lines }));
    for (let i = 0; i < 100 && asked === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(asked).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    // Held before the clone's process: no git ran, so nothing was checked out.
    expect(lines.some((line) => line.startsWith('▸ Checked out'))).toBe(false);
    const stopping = held.stop(buildId);
    release();
    await stopping;
    expect(await ended).toMatchObject({ ok: false, stopped: true });
    expect(lines.some((line) => line.startsWith('▸ Checked out'))).toBe(false);
    expect(asked).toBe(1);
  });


  it.skipIf(!isolation.isRoot)('as the project\'s uid without bubblewrap: ends what left the build\'s session, and leaves the project\'s site processes running', async () => {
    const marker = `anchor-daemon-${Math.random().toString(36).slice(2)}`;
    repo.commit(appFiles({
      build: `const { spawn } = require('node:child_process');
// A daemon: its own session, and its parent gone before the build ends (double fork).
const middle = spawn(process.execPath, ['-e', "require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '${marker}'], { stdio: 'ignore', detached: true }).unref()"], { stdio: 'ignore', detached: true });
middle.on('exit', () => console.log('build: left a daemon behind'));
`,
    }), 'Leaky, uid only');
    const sandbox = testSandboxes('uid');
    const builder = newBuilder(sandbox.sandboxes);
    const identity = (await sandbox.sandboxes.forProject('shop')).identity;
    if (identity === null) throw new Error('uid isolation gave the project no uid');
    // The project's site, as the server starts it: its own session, the project's uid.
    const site = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'anchor-site-of-shop'], { stdio: 'ignore', detached: true, uid: identity.uid, gid: identity.gid });
    try {
      const { ok, lines } = await build(builder);
      expect(ok, lines.join('\n')).toBe(true);
      expect(lines).toContain('build: left a daemon behind');
      expect(await processesWith(marker)).toEqual([]);
      expect(site.pid !== undefined && isAlive(site.pid)).toBe(true);
    } finally {
      site.kill('SIGKILL');
      await sandbox.close(['shop']);
    }
  });

  it('restores .next/cache only into a real folder: through a .next committed as a link the server deletes and writes nothing', async () => {
    const builder = newBuilder();
    repo.commit(appFiles(), 'Cached');
    expect((await build(builder)).ok).toBe(true);
    const elsewhere = join(root, 'elsewhere');
    mkdirSync(join(elsewhere, 'cache'), { recursive: true });
    writeFileSync(join(elsewhere, 'cache', 'precious.txt'), 'not the build\'s');
    symlinkSync(elsewhere, join(repo.dir, '.next'));
    execFileSync('git', ['add', '--force', '.next'], { cwd: repo.dir });
    repo.commit(appFiles({ build: "console.log('build: leaves .next alone');" }), '.next is a link');

    const second = await build(builder);
    expect(second.ok, second.lines.join('\n')).toBe(true);
    expect(readdirSync(join(elsewhere, 'cache'))).toEqual(['precious.txt']);
    expect(readFileSync(join(elsewhere, 'cache', 'precious.txt'), 'utf8')).toBe('not the build\'s');
    expect(second.lines).toContain("▸ Not restoring .next/cache: the app's .next is not a folder (a link?)");
  });

  it('writes its OpenNext driver only into a folder of its own: links an install script left in its place lead nowhere', async () => {
    const victim = join(root, 'victim.txt');
    writeFileSync(victim, 'not the build\'s');
    repo.commit({
      ...appFiles({ scripts: { postinstall: 'node plant.js' } }),
      'plant.js': `const fs = require('node:fs');
fs.mkdirSync('../packaging', { recursive: true });
for (const name of ['open-next-build.mjs', 'open-next-hooks.mjs']) fs.symlinkSync(${JSON.stringify(victim)}, '../packaging/' + name);
console.log('planted');
`,
    }, 'Plants links where the driver goes');
    const { ok, lines } = await build(newBuilder());
    expect(lines).toContain('planted');
    expect(readFileSync(victim, 'utf8')).toBe('not the build\'s');
    expect(ok, lines.join('\n')).toBe(true);
  });

  it.skipIf(!isolation.isRoot)('as the project\'s uid without bubblewrap: what an install script left running is gone before the next step', async () => {
    const marker = `anchor-daemon-${Math.random().toString(36).slice(2)}`;
    repo.commit({
      ...appFiles({
        scripts: { postinstall: 'node daemon.js' },
        // The next step looks for the daemon: it could have swapped the app's folders for links
        // while the server worked in them between the steps.
        build: `const fs = require('node:fs');
const alive = fs.readdirSync('/proc').filter((pid) => /^\\d+$/.test(pid)).some((pid) => { try { return fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8').includes('${marker}'); } catch { return false; } });
console.log('build: daemon running: ' + alive);
`,
      }),
      'daemon.js': `require('node:child_process').spawn(process.execPath, ['-e', "require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '${marker}'], { stdio: 'ignore', detached: true }).unref()"], { stdio: 'ignore', detached: true }).unref();
setTimeout(() => {}, 300);
`,
    }, 'Install script leaves a daemon, uid only');
    const sandbox = testSandboxes('uid');
    try {
      const { ok, lines } = await build(newBuilder(sandbox.sandboxes));
      expect(ok, lines.join('\n')).toBe(true);
      expect(lines).toContain('build: daemon running: false');
      expect(await processesWith(marker)).toEqual([]);
    } finally {
      await sandbox.close(['shop']);
    }
  });
});
