import { lstatSync, mkdirSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILD_SCRATCH_BYTES, makeMemoryDir, pickBuildRoot, planMemoryDir } from '../../src/adapters/local/build/build-root.js';

const GIB = 1024 ** 3;
const input = { memoryDir: '/dev/shm/anchor-Xy12', diskDir: '/home/op/.anchor/platforms/local/builds', concurrency: 2 };
const mounts = (shm: string) => ['/dev/vda / ext4 rw,relatime 0 0', shm, 'proc /proc proc rw 0 0'].join('\n');

describe('pickBuildRoot (local only)', () => {
  it('builds in memory when /dev/shm is an executable tmpfs with room for every concurrent build', () => {
    const root = pickBuildRoot(input, { mounts: mounts('tmpfs /dev/shm tmpfs rw,nosuid,nodev 0 0'), shmFree: 12 * GIB });
    expect(root.inMemory).toBe(true);
    expect(root.dir).toBe('/dev/shm/anchor-Xy12/builds');
    expect(root.why).toContain('in memory');
  });

  it('names its folder in /dev/shm so that nobody can make it first: random each time, made by the server with its own mode', () => {
    const names = new Set(Array.from({ length: 50 }, () => planMemoryDir()));
    expect(names.size).toBe(50);
    for (const name of names) expect(name).toMatch(/^\/dev\/shm\/anchor-[A-Za-z0-9_-]{12}$/);
    const dir = planMemoryDir();
    try {
      makeMemoryDir(dir, false);
      expect(lstatSync(dir).mode & 0o777).toBe(0o700);
      expect(lstatSync(`${dir}/package-store`).mode & 0o777).toBe(0o700);
      expect(lstatSync(dir).uid).toBe(process.getuid?.());
      // A folder someone else made under the name is never taken over: making it fails.
      rmSync(dir, { recursive: true });
      mkdirSync(dir, { mode: 0o777 });
      expect(() => makeMemoryDir(dir, false)).toThrow(/EEXIST/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['no /dev/shm', null, 12 * GIB, 'no /dev/shm'],
    ['/dev/shm on a disk', 'shm /dev/shm ext4 rw 0 0', 12 * GIB, 'not a tmpfs'],
    ['a noexec /dev/shm (Docker\'s default)', 'shm /dev/shm tmpfs rw,nosuid,nodev,noexec,relatime,size=65536k 0 0', 12 * GIB, 'noexec'],
    ['too little room for two builds', 'tmpfs /dev/shm tmpfs rw 0 0', BUILD_SCRATCH_BYTES * 2 - 1, 'free'],
  ])('stays on disk with %s, and says why', (_name, shm, free, reason) => {
    const root = pickBuildRoot(input, { mounts: shm === null ? mounts('') : mounts(shm), shmFree: free });
    expect(root).toMatchObject({ dir: input.diskDir, inMemory: false });
    expect(root.why).toContain(reason);
  });

  it('uses the directory the operator names, whatever is free', () => {
    expect(pickBuildRoot({ ...input, requested: '/mnt/fast/builds' }, { mounts: mounts('tmpfs /dev/shm tmpfs rw 0 0'), shmFree: 12 * GIB })).toMatchObject({ dir: '/mnt/fast/builds', inMemory: false });
  });
});
