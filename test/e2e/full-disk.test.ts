import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../../src/adapters/local/server/create-local-server.js';
import { readCliEnv } from '../../src/cli/env.js';
import { runCli } from '../cli/run-cli.js';
import { passableTempDir, sandboxFolders } from './local-platform.js';
import { FixtureRepo, appFiles } from '../unit/process-builder-fixture.js';

/**
 * ANCHOR_HOME (and the builds) on a small tmpfs of its own, so the disk really fills up. Mounting
 * needs root (or CAP_SYS_ADMIN); where it is not permitted the tests are skipped.
 */
const work = passableTempDir('anchor-full-disk-');
const mountPoint = join(work, 'disk');
const canMount = (() => {
  try {
    mkdirSync(mountPoint);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', mountPoint], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const home = join(mountPoint, 'home');
let repo: FixtureRepo;
let server: LocalServer | null = null;
const cli = (...args: string[]) => runCli(args, { home, env: { ANCHOR_HOME: join(home, '.anchor') } });

beforeAll(async () => {
  if (!canMount) return;
  mkdirSync(home);
  expect((await cli('init', '--local', '--port', '0')).code).toBe(0);
  // The repository is elsewhere: only what anchor writes is on the small disk.
  repo = new FixtureRepo(join(work, 'repo'));
  // A build that writes until the disk is full, like a runaway cache or a huge bundle.
  repo.commit(appFiles({ build: "const fs = require('node:fs');\nconst chunk = Buffer.alloc(1 << 20, 120);\nconst fd = fs.openSync('huge.bin', 'w');\nfor (let i = 0; i < 200; i++) fs.writeSync(fd, chunk);\nconsole.log('build: wrote 200 MB');\n" }), 'fills the disk');
  expect((await cli('projects', 'add', 'shop', '--repo', repo.dir)).code).toBe(0);
  server = await startLocalServer({
    dir: join(home, '.anchor', 'platforms', 'local'),
    baseEnv: { ...readCliEnv(process.env).baseEnv, HOME: home },
    githubToken: undefined,
    githubApiUrl: undefined,
    host: '127.0.0.1',
    port: 0,
    concurrency: 1,
    buildDir: join(mountPoint, 'builds'),
    logStream: { write: () => true },
  });
});

afterAll(async () => {
  const folders = server ? await sandboxFolders(server) : [];
  await server?.close();
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  if (canMount) execFileSync('umount', ['-l', mountPoint]);
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!canMount)('a full disk', () => {
  it('a build that cannot write fails with "disk full", and deploy --follow ends with exit 6', async () => {
    const result = await cli('deploy', 'shop', '--follow');
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(/failed: disk full: OpenNext build could not write \(exit \d+\): .*ENOSPC/);
    expect(result.stderr).toContain('Free space on the disk the platform builds on');
    const [deployment] = (await cli('deployments', 'ls', 'shop', '--json')).json<{ deployments: Array<{ state: string; reason: string }> }>().deployments;
    expect(deployment).toMatchObject({ state: 'failed', reason: expect.stringMatching(/^disk full: /) });
  }, 120_000);

  it('a CLI write on a full ANCHOR_HOME exits 6 saying the disk is full, not "internal error"', async () => {
    await server?.close();
    server = null;
    const ballast = openSync(join(mountPoint, 'ballast'), 'w');
    try {
      const chunk = Buffer.alloc(1 << 20);
      for (;;) writeSync(ballast, chunk);
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    } finally {
      closeSync(ballast);
    }
    const result = await cli('init', '--local', '--platform', 'second', '--json');
    expect(result.code).toBe(6);
    expect(result.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'DISK_FULL', message: expect.stringContaining(`The disk that holds ANCHOR_HOME (${join(home, '.anchor')}) is full`) });
    rmSync(join(mountPoint, 'ballast'));
  });

  it('a CLI write on a read-only ANCHOR_HOME exits 6 saying so', async () => {
    execFileSync('mount', ['-o', 'remount,ro', mountPoint]);
    try {
      const result = await cli('env', 'set', 'shop', 'GREETING=hello', '--json');
      expect(result.code).toBe(6);
      expect(result.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'ANCHOR_HOME_READ_ONLY', message: expect.stringContaining('is on a read-only filesystem') });
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', mountPoint]);
    }
  });
});
