import { describe, expect, it } from 'vitest';
import { BUILD_SCRATCH_BYTES, pickBuildRoot } from '../../src/adapters/local/build/build-root.js';

const GIB = 1024 ** 3;
const input = { platformDir: '/home/op/.anchor/platforms/local', diskDir: '/home/op/.anchor/platforms/local/builds', concurrency: 2 };
const mounts = (shm: string) => ['/dev/vda / ext4 rw,relatime 0 0', shm, 'proc /proc proc rw 0 0'].join('\n');

describe('pickBuildRoot (local only)', () => {
  it('builds in memory when /dev/shm is an executable tmpfs with room for every concurrent build', () => {
    const root = pickBuildRoot(input, { mounts: mounts('tmpfs /dev/shm tmpfs rw,nosuid,nodev 0 0'), shmFree: 12 * GIB });
    expect(root.inMemory).toBe(true);
    expect(root.dir).toMatch(/^\/dev\/shm\/anchor-[0-9a-f]{12}\/builds$/);
    expect(root.why).toContain('in memory');
    // Another platform gets a directory of its own.
    expect(pickBuildRoot({ ...input, platformDir: '/srv/other' }, { mounts: mounts('tmpfs /dev/shm tmpfs rw 0 0'), shmFree: 12 * GIB }).dir).not.toBe(root.dir);
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
