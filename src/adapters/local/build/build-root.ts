import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statfsSync } from 'node:fs';
import { join } from 'node:path';

/** What one build needs in its scratch dir: a Next.js app's node_modules, .next and .open-next. */
export const BUILD_SCRATCH_BYTES = 3 * 1024 ** 3;
const SHM = '/dev/shm';

export interface BuildRoot {
  /** Where builds' scratch dirs go: `<dir>/<buildId>/`. */
  dir: string;
  inMemory: boolean;
  /** For the server's start-up line: where builds run, and why there. */
  why: string;
}

export interface BuildRootFacts {
  /** `/proc/mounts`, or null where there is none (macOS). */
  mounts: string | null;
  /** Bytes free on /dev/shm, or null when it cannot be read. */
  shmFree: number | null;
}

/**
 * Where builds unpack their dependencies. A Next.js app's install writes some 18,000 files; on a
 * disk that costs 10–20 s of the kernel's time per build (measured on ext4), in memory under 1 s.
 * So builds run in /dev/shm when it is a tmpfs that allows executables (native modules such as
 * Next's SWC are loaded from node_modules) with room for every concurrent build; elsewhere, and
 * when the operator names a directory, on disk. Only the scratch dir moves: the artifact and the
 * build cache are kept on disk.
 */
export function pickBuildRoot(input: { memoryDir: string; diskDir: string; concurrency: number; requested?: string | undefined }, facts: BuildRootFacts): BuildRoot {
  if (input.requested) return { dir: input.requested, inMemory: false, why: `in ${input.requested}, from --build-dir` };
  const shm = facts.mounts?.split('\n').map((line) => line.split(' ')).find((fields) => fields[1] === SHM);
  const onDisk = (reason: string): BuildRoot => ({ dir: input.diskDir, inMemory: false, why: `on disk: ${reason}` });
  if (!shm) return onDisk(`no ${SHM}`);
  if (shm[2] !== 'tmpfs') return onDisk(`${SHM} is not a tmpfs`);
  if ((shm[3] ?? '').split(',').includes('noexec')) return onDisk(`${SHM} is mounted noexec`);
  const needed = BUILD_SCRATCH_BYTES * input.concurrency;
  if (facts.shmFree === null || facts.shmFree < needed) return onDisk(`${SHM} has ${gib(facts.shmFree ?? 0)} free; ${gib(needed)} wanted`);
  return { dir: join(input.memoryDir, 'builds'), inMemory: true, why: `in memory: ${SHM}, ${gib(facts.shmFree)} free` };
}

/**
 * A server's folder in memory, `/dev/shm/anchor-<random>`: /dev/shm is writable by every local
 * user, so a name anyone could predict might be made first by someone else, with their files in
 * it. A random one is created here, by this process, with its mode (and a server that finds the
 * one its crashed predecessor named removes it). Not made until the server builds in memory.
 */
export function planMemoryDir(): string {
  return join(SHM, `anchor-${randomBytes(9).toString('base64url')}`);
}

/**
 * Creates the memory folder (failing if it exists) with `builds/` and `package-store/` in it.
 * `traversable`: sandbox uids may pass through it and builds/ to their own scratch dirs (0711);
 * the package store stays the server's alone (0700).
 */
export function makeMemoryDir(dir: string, traversable: boolean): void {
  const mode = traversable ? 0o711 : 0o700;
  mkdirSync(dir, { mode });
  for (const [name, itsMode] of [['builds', mode], ['package-store', 0o700]] as const) {
    mkdirSync(join(dir, name), { mode: itsMode });
    chmodSync(join(dir, name), itsMode);
  }
  chmodSync(dir, mode);
}

/** Bytes free on /dev/shm; throws where there is none. */
function shmFree(): number {
  const stats = statfsSync(SHM);
  return stats.bavail * stats.bsize;
}

export function readBuildRootFacts(): BuildRootFacts {
  let mounts: string | null = null;
  try {
    mounts = readFileSync('/proc/mounts', 'utf8');
  } catch {
    // Not Linux: builds stay on disk.
  }
  let free: number | null = null;
  try {
    free = shmFree();
  } catch {
    // No /dev/shm.
  }
  return { mounts, shmFree: free };
}

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

/** For a server building in memory: null while /dev/shm has room for one more build, else why not. */
export function noRoomInMemory(): string | null {
  try {
    const free = shmFree();
    return free >= BUILD_SCRATCH_BYTES ? null : `${SHM} has ${gib(free)} free, less than the ${gib(BUILD_SCRATCH_BYTES)} a build may need`;
  } catch (error) {
    return `${SHM} cannot be read (${(error as Error).message})`;
  }
}
