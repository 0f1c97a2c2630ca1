import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileArtifacts } from '../../src/adapters/local/store/file-artifacts.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'anchor-artifacts-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FileArtifacts (local only)', () => {
  it('keeps symlinks of a pnpm-style bundle working after the scratch dir is gone', async () => {
    const scratch = join(dir, 'scratch');
    const out = join(scratch, '.open-next');
    const server = join(out, 'server-functions', 'default');
    await mkdir(join(server, 'node_modules', '.pnpm', 'react@19', 'node_modules', 'react'), { recursive: true });
    await writeFile(join(server, 'node_modules', '.pnpm', 'react@19', 'node_modules', 'react', 'index.js'), 'react');
    await writeFile(join(server, 'index.mjs'), 'handler');
    await symlink('.pnpm/react@19/node_modules/react', join(server, 'node_modules', 'react'));
    await symlink(join(server, 'index.mjs'), join(server, 'absolute-inside.mjs'));

    const artifacts = new FileArtifacts(join(dir, 'artifacts'));
    const info = await artifacts.store({ projectName: 'shop', deploymentId: 'd_1' }, { kind: 'directory', path: out });
    await rm(scratch, { recursive: true, force: true });

    const copy = join(info.location, 'server-functions', 'default');
    expect(await readlink(join(copy, 'node_modules', 'react'))).toBe('.pnpm/react@19/node_modules/react');
    expect(await readFile(join(copy, 'node_modules', 'react', 'index.js'), 'utf8')).toBe('react');
    expect(await readlink(join(copy, 'absolute-inside.mjs'))).toBe('index.mjs');
    expect(info.bytes).toBe('react'.length + 'handler'.length);
  });

  it('refuses an output with a link out of it, rather than copy what it leads to (the platform key) with its own rights', async () => {
    const platformKey = join(dir, 'secret.key');
    await writeFile(platformKey, 'the platform key');
    const out = join(dir, 'scratch', '.open-next');
    await mkdir(join(out, 'assets'), { recursive: true });
    await symlink(platformKey, join(out, 'assets', 'key.txt'));

    const artifacts = new FileArtifacts(join(dir, 'artifacts'));
    await expect(artifacts.store({ projectName: 'shop', deploymentId: 'd_1' }, { kind: 'directory', path: out })).rejects.toMatchObject({ code: 'OUTPUT_LINKS_OUT', kind: 'failed', message: expect.stringContaining('assets/key.txt') });
    expect(await artifacts.get({ projectName: 'shop', deploymentId: 'd_1' })).toBeNull();
  });

  it('refuses an output that is itself a link, rather than copy the folder it leads to', async () => {
    const platform = join(dir, 'platform');
    await mkdir(platform, { recursive: true });
    await writeFile(join(platform, 'secret.key'), 'the platform key');
    await mkdir(join(dir, 'scratch'), { recursive: true });
    await symlink(platform, join(dir, 'scratch', 'artifact'));

    const artifacts = new FileArtifacts(join(dir, 'artifacts'));
    await expect(artifacts.store({ projectName: 'shop', deploymentId: 'd_1' }, { kind: 'directory', path: join(dir, 'scratch', 'artifact') })).rejects.toMatchObject({ code: 'OUTPUT_LINKS_OUT', kind: 'failed' });
    expect(await artifacts.get({ projectName: 'shop', deploymentId: 'd_1' })).toBeNull();
    expect(await readdir(join(dir, 'artifacts'))).toEqual([]);
  });

  it('refuses a link that only seems to stay inside: through another link it leads out', async () => {
    const out = join(dir, 'scratch', '.open-next');
    await mkdir(join(out, 'p', 'q'), { recursive: true });
    await mkdir(join(out, 'a'), { recursive: true });
    await symlink('../../a', join(out, 'p', 'q', 's'));
    // Read as written, p/q/s/../.. is p; followed, it is a/../.. : the folder above the output.
    await symlink('s/../..', join(out, 'p', 'q', 'up'));

    await expect(new FileArtifacts(join(dir, 'artifacts')).store({ projectName: 'shop', deploymentId: 'd_1' }, { kind: 'directory', path: out })).rejects.toMatchObject({ code: 'OUTPUT_LINKS_OUT', message: expect.stringContaining('p/q/up') });
  });

  // A build in memory (/dev/shm) stores its artifact on disk: files are copied, not linked, and
  // copying a FIFO the build left would wait for a writer for ever, holding the server's file I/O.
  it.runIf(existsSync('/dev/shm'))('copies a build output from another filesystem, leaving out a FIFO instead of waiting on it', async () => {
    const scratch = await mkdtemp('/dev/shm/anchor-artifacts-');
    try {
      const out = join(scratch, '.open-next');
      await mkdir(join(out, 'server-functions', 'default'), { recursive: true });
      await writeFile(join(out, 'server-functions', 'default', 'index.mjs'), 'handler');
      await writeFile(join(out, 'BUILD_ID'), 'abc');
      execFileSync('mkfifo', [join(out, 'server-functions', 'default', 'pipe')]);

      const artifacts = new FileArtifacts(join(dir, 'artifacts'));
      const info = await artifacts.store({ projectName: 'shop', deploymentId: 'd_1' }, { kind: 'directory', path: out });
      await rm(scratch, { recursive: true, force: true });

      expect(await readdir(join(info.location, 'server-functions', 'default'))).toEqual(['index.mjs']);
      expect(await readFile(join(info.location, 'server-functions', 'default', 'index.mjs'), 'utf8')).toBe('handler');
      expect(info.bytes).toBe('handler'.length + 'abc'.length);
      expect((await artifacts.inspect(info)).hasServerFunction).toBe(true);
      expect(await artifacts.get({ projectName: 'shop', deploymentId: 'd_1' })).toEqual(info);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }, 10_000);

  it('reports a missing build output as a failed build, not a crash', async () => {
    const error = await new FileArtifacts(join(dir, 'artifacts')).store({ projectName: 'shop', deploymentId: 'd_1' }, { kind: 'directory', path: join(dir, 'nope') }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BUILD_OUTPUT_MISSING', kind: 'failed' });
  });

  it('refuses ids that would leave its directory', async () => {
    const artifacts = new FileArtifacts(join(dir, 'artifacts'));
    await expect(artifacts.get({ projectName: 'shop', deploymentId: '../etc' })).rejects.toMatchObject({ code: 'DEPLOYMENT_ID_INVALID' });
  });
});
