import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, lstat, mkdir, readdir, readFile, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { realPathInside } from '../../../lib/real-path-inside.js';
import { errorMessage } from '../../../core/errors.js';
import { mapLimited } from '../../../lib/map-limited.js';
import type { LockedPackage } from './npm-lockfile.js';

const FORMAT = 1;
const INDEX = 'index.json';
/** The store keeps what the newest lockfiles of the project need, and drops the rest. */
const KEEP_LOCKFILES = 3;
/** Files copied at once: enough to keep libuv's threads busy, few enough to stay under fd limits. */
const COPY_WIDTH = 16;
/** Packages walked (read, planned, put in place) at once. */
const PACKAGES_AT_ONCE = 16;

type Log = (line: string) => void;

interface Index {
  format: number;
  /** Newest first: each lockfile npm ci installed, and the paths it put packages at. */
  lockfiles: LockfileRecord[];
}

interface LockfileRecord {
  key: string;
  /** The store keys of the packages at those paths. */
  packages: string[];
  paths: string[];
}

/** A package's store entry is missing files: someone changed the store by hand, or a disk fault. */
export class DamagedStoreEntry extends Error {
  constructor(readonly key: string, detail: string) {
    super(`package store entry ${key.slice(0, 12)}… is damaged (${detail})`);
  }
}

/**
 * npm packages of one project, unpacked, each under the sha512 of its tarball: the same content
 * npm would unpack again from its cache. A build whose lockfile's packages are all here lays its
 * `node_modules` out from the lockfile by copying (under a second for a Next.js app, against ten
 * for `npm ci` to unpack the tarballs), then `npm rebuild` links the bins and runs the packages'
 * install scripts as `npm ci` would. It is a package manager's store, as pnpm keeps one: never a
 * `node_modules` kept from an earlier build, so a layout always follows the lockfile of the build.
 *
 * Layout: `<dir>/p/<key>/files/…` and `<dir>/p/<key>/entry.json` (how many files), added whole by
 * rename, so an entry is either complete or absent.
 */
export class NpmPackageStore {
  constructor(readonly dir: string) {}

  /**
   * The packages npm ci put in place for this lockfile (`lockKey`) when it last installed it, or
   * null when it never did here: which optional packages npm leaves out is npm's to say. `missing`
   * are those the store lacks.
   */
  async select(packages: readonly LockedPackage[], lockKey: string): Promise<{ install: LockedPackage[]; missing: number } | null> {
    const record = (await this.readIndex()).lockfiles.find((l) => l.key === lockKey);
    if (record === undefined) return null;
    const paths = new Set(record.paths);
    const install = packages.filter((pkg) => paths.has(pkg.path));
    if (install.length !== paths.size) return null;
    const have = new Set(await readdir(join(this.dir, 'p')).catch(() => [] as string[]));
    return { install, missing: install.filter((pkg) => !have.has(pkg.key)).length };
  }

  /** Copies each package into `installDir/<its path>`. Throws DamagedStoreEntry for an entry that lost files. */
  async layout(packages: readonly LockedPackage[], installDir: string): Promise<{ files: number }> {
    const planned = await mapLimited(packages, PACKAGES_AT_ONCE, async (pkg) => {
      const entry = join(this.dir, 'p', pkg.key);
      const expected = await readEntryFiles(entry).catch(() => null);
      if (expected === null) throw new DamagedStoreEntry(pkg.key, 'entry.json is missing or unreadable');
      const copies: Copy[] = [];
      await plan(join(entry, 'files'), join(installDir, pkg.path), copies).catch((error: unknown) => {
        throw new DamagedStoreEntry(pkg.key, errorMessage(error));
      });
      if (copies.length !== expected) throw new DamagedStoreEntry(pkg.key, `${copies.length} files where there were ${expected}`);
      return copies;
    });
    const copies = planned.flat();
    await mapLimited(copies, COPY_WIDTH, (copy) => copy());
    return { files: copies.length };
  }

  /**
   * Adds the packages a successful `npm ci` unpacked under `from.dir` that the store lacks,
   * records `lockKey` as the newest lockfile, and drops entries no recent lockfile needs.
   * Packages' own `node_modules` are left out: nested packages are entries of their own.
   *
   * Only what npm unpacked is kept: a package with install scripts from `from.pristineDir`, where
   * it was put aside before they ran; any other package only if nothing in it changed after
   * `from.unpackedAt` (when npm ci ended: a script or the build may have changed it since). One
   * left out is missing from the store, and the next build with the lockfile runs npm ci.
   */
  async add(from: { dir: string; pristineDir?: string; unpackedAt: number }, packages: readonly LockedPackage[], lockKey: string, log: Log): Promise<{ added: number }> {
    const entries = join(this.dir, 'p');
    await mkdir(entries, { recursive: true });
    // What an add cut short (a server killed mid-way) left behind; adds to one store take turns.
    for (const name of await readdir(this.dir)) {
      if (name.startsWith('new-')) await rm(join(this.dir, name), { recursive: true, force: true });
    }
    const have = new Set(await readdir(entries));
    // Only real folders inside what npm unpacked: the build owned them, and a link it planted must
    // never make the server move or copy something of its own into the store (and the next build).
    const isDir = async (path: string): Promise<boolean> => (await lstat(path).catch(() => null))?.isDirectory() === true && (await isInside(from.dir, path));
    // Optional packages npm left out are not there; packages changed since are not taken.
    const found = await mapLimited(packages, PACKAGES_AT_ONCE, async (pkg) => {
      const source = join(from.dir, pkg.path);
      if (!(await isDir(source))) return { pkg, there: false, take: null };
      if (have.has(pkg.key)) return { pkg, there: true, take: null };
      if (pkg.scripts) {
        const pristine = from.pristineDir === undefined ? null : join(from.pristineDir, pkg.path);
        return { pkg, there: true, take: pristine !== null && (await isDir(pristine)) ? pristine : null };
      }
      return { pkg, there: true, take: (await changedSince(source, from.unpackedAt)) ? null : source };
    });
    const installed = found.filter((f) => f.there).map((f) => f.pkg);
    const adding = new Map<string, string>();
    for (const { pkg, take } of found) {
      if (take !== null && !adding.has(pkg.key)) adding.set(pkg.key, take);
    }
    const fresh = [...adding].map(([key, source]) => ({ key, source, dir: join(this.dir, `new-${randomBytes(6).toString('hex')}`), files: 0 }));
    try {
      // On the same filesystem (builds and store both in memory, or both on disk) each package is
      // moved, deepest first so that a package never carries a nested one along: npm ci's
      // node_modules is not used again. Across filesystems, all files are copied at once (one
      // package at a time would leave the disk idle on small ones).
      const moved = new Set<(typeof fresh)[number]>();
      for (const entry of [...fresh].sort((a, b) => depth(b.source) - depth(a.source))) {
        await mkdir(entry.dir);
        try {
          await rename(entry.source, join(entry.dir, 'files'));
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EXDEV') break;
          throw error;
        }
        await rm(join(entry.dir, 'files', 'node_modules'), { recursive: true, force: true });
        entry.files = await countFiles(join(entry.dir, 'files'));
        moved.add(entry);
      }
      const planned = await mapLimited(fresh.filter((entry) => !moved.has(entry)), PACKAGES_AT_ONCE, async (entry) => {
        const copies: Copy[] = [];
        await plan(entry.source, join(entry.dir, 'files'), copies, true);
        entry.files = copies.length;
        return copies;
      });
      await mapLimited(planned.flat(), COPY_WIDTH, (copy) => copy());
      await mapLimited(fresh, PACKAGES_AT_ONCE, async (entry) => {
        await writeFile(join(entry.dir, 'entry.json'), JSON.stringify({ format: FORMAT, files: entry.files }) + '\n');
        await rename(entry.dir, join(entries, entry.key));
      });
    } finally {
      for (const entry of fresh) await rm(entry.dir, { recursive: true, force: true }).catch(() => undefined);
    }
    const added = fresh.length;
    const record = { key: lockKey, packages: [...new Set(installed.map((pkg) => pkg.key))], paths: installed.map((pkg) => pkg.path) };
    await this.remember(lockKey, log, record);
    return { added };
  }

  /**
   * Makes `lockKey` the newest lockfile (with `record`, what npm ci installed for it) and drops
   * the entries only older lockfiles needed.
   */
  async remember(lockKey: string, log: Log, record?: LockfileRecord): Promise<void> {
    const index = await this.readIndex();
    if (record === undefined && index.lockfiles[0]?.key === lockKey) return;
    const current = record ?? index.lockfiles.find((l) => l.key === lockKey);
    if (current === undefined) return;
    const lockfiles = [current, ...index.lockfiles.filter((l) => l.key !== lockKey)].slice(0, KEEP_LOCKFILES);
    const fresh = join(this.dir, `new-${randomBytes(4).toString('hex')}.json`);
    await writeFile(fresh, JSON.stringify({ format: FORMAT, lockfiles } satisfies Index) + '\n');
    await rename(fresh, join(this.dir, INDEX));
    const wanted = new Set(lockfiles.flatMap((l) => l.packages));
    const stale = (await readdir(join(this.dir, 'p')).catch(() => [] as string[])).filter((key) => !wanted.has(key));
    if (stale.length > 0) log(`▸ Package store: dropping ${stale.length} package(s) no recent lockfile uses`);
    for (const key of stale) await rm(join(this.dir, 'p', key), { recursive: true, force: true }).catch(() => undefined);
  }

  /** Empties the store. */
  async clear(): Promise<void> {
    await rm(join(this.dir, INDEX), { force: true });
    await rm(join(this.dir, 'p'), { recursive: true, force: true });
  }

  /** The keys it has, of those asked about. */
  async has(keys: readonly string[]): Promise<Set<string>> {
    const have = new Set(await readdir(join(this.dir, 'p')).catch(() => [] as string[]));
    return new Set(keys.filter((key) => have.has(key)));
  }

  /** Removes one entry (found damaged). */
  async discard(key: string): Promise<void> {
    await rm(join(this.dir, 'p', key), { recursive: true, force: true });
  }

  private async readIndex(): Promise<Index> {
    try {
      const index = JSON.parse(await readFile(join(this.dir, INDEX), 'utf8')) as Index;
      if (index.format === FORMAT && Array.isArray(index.lockfiles)) return index;
    } catch {
      // No index yet, or an unreadable one: start a new one.
    }
    return { format: FORMAT, lockfiles: [] };
  }
}

async function readEntryFiles(entry: string): Promise<number> {
  const parsed = JSON.parse(await readFile(join(entry, 'entry.json'), 'utf8')) as { format?: unknown; files?: unknown };
  if (parsed.format !== FORMAT || typeof parsed.files !== 'number') throw new Error('unknown entry format');
  return parsed.files;
}

type Copy = () => Promise<void>;

async function isInside(root: string, path: string): Promise<boolean> {
  return (await realPathInside(root, path)) !== null;
}

/** How many packages deep a path is: `node_modules/a/node_modules/b` is 2. */
function depth(path: string): number {
  return path.split('/node_modules/').length;
}

/** Whether anything under `dir` (but its own node_modules) was written after `since` (ms). */
async function changedSince(dir: string, since: number, top = true): Promise<boolean> {
  const [info, items] = await Promise.all([lstat(dir), readdir(dir, { withFileTypes: true })]);
  if (info.mtimeMs > since) return true;
  const changed = await Promise.all(items.map((item) => {
    const path = join(dir, item.name);
    if (!item.isDirectory()) return lstat(path).then((file) => file.mtimeMs > since);
    return top && item.name === 'node_modules' ? false : changedSince(path, since, false);
  }));
  return changed.includes(true);
}

/** Files and symlinks under `dir`, counted as plan() queues them. */
async function countFiles(dir: string): Promise<number> {
  let files = 0;
  for (const item of await readdir(dir, { withFileTypes: true })) {
    if (item.isDirectory()) files += await countFiles(join(dir, item.name));
    else if (item.isSymbolicLink() || item.isFile()) files++;
  }
  return files;
}

/**
 * Makes `to`'s folders now and queues one copy per file or symlink in `from`. With
 * `skipTopNodeModules`, `from/node_modules` is not copied.
 */
async function plan(from: string, to: string, copies: Copy[], skipTopNodeModules = false): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const item of await readdir(from, { withFileTypes: true })) {
    const source = join(from, item.name);
    const target = join(to, item.name);
    if (item.isDirectory()) {
      if (!(skipTopNodeModules && item.name === 'node_modules')) await plan(source, target, copies);
    } else if (item.isSymbolicLink()) {
      copies.push(async () => symlink(await readlink(source), target));
    } else if (item.isFile()) {
      // copyFile keeps the mode (bins stay executable); FICLONE shares blocks where the filesystem can.
      copies.push(() => copyFile(source, target, constants.COPYFILE_FICLONE));
    }
  }
}

/** What a build's install did with the store. */
export type StoreInstall =
  | { installed: true }
  /** npm ci must install; with `addAfter`, the store takes what it unpacked. */
  | { installed: false; addAfter: boolean };

/**
 * Installs the lockfile's packages into `installDir` from the store when it has every one npm ci
 * put there last time, then has `rebuild` (npm rebuild) link bins and run install scripts.
 * Anything short of that leaves `installDir` without node_modules, for npm ci to install as always.
 */
export async function installFromStore(
  store: NpmPackageStore,
  tree: { packages: LockedPackage[]; lockKey: string },
  installDir: string,
  rebuild: () => Promise<{ exitCode: number | null }>,
  log: Log,
): Promise<StoreInstall> {
  const started = Date.now();
  const selected = await store.select(tree.packages, tree.lockKey);
  if (selected === null || selected.missing > 0) {
    const why = selected === null ? 'has not seen this lockfile yet' : `lacks ${selected.missing} of this lockfile's ${selected.install.length} packages`;
    log(`▸ The package store ${why}: npm ci installs, and the store keeps its packages for the next build`);
    return { installed: false, addAfter: true };
  }
  const { install } = selected;
  const nodeModules = join(installDir, 'node_modules');
  try {
    // As npm ci does: whatever node_modules the repo came with goes first.
    await rm(nodeModules, { recursive: true, force: true });
    log(`▸ Installing ${install.length} packages from the build cache's package store, where npm ci put them for this lockfile`);
    const { files } = await store.layout(install, installDir);
    log(`▸ Copied ${files.toLocaleString('en-US')} files in ${((Date.now() - started) / 1000).toFixed(1)} s; npm rebuild links the bins and runs install scripts`);
  } catch (error) {
    await rm(nodeModules, { recursive: true, force: true });
    if (error instanceof DamagedStoreEntry) {
      await store.discard(error.key).catch(() => undefined);
      log(`▸ The ${error.message}; discarded it, installing with npm ci instead`);
      return { installed: false, addAfter: true };
    }
    log(`▸ Could not copy from the package store (${errorMessage(error)}); installing with npm ci instead`);
    return { installed: false, addAfter: false };
  }
  const rebuilt = await rebuild();
  if (rebuilt.exitCode !== 0) {
    // A script that fails on packages from the store may have failed on what the store holds:
    // npm ci from the tarballs settles it, and fills a fresh store.
    await rm(nodeModules, { recursive: true, force: true });
    await store.clear().catch(() => undefined);
    log(`▸ npm rebuild failed (exit ${String(rebuilt.exitCode)}) on packages from the store; emptied the store, installing with npm ci instead`);
    return { installed: false, addAfter: true };
  }
  await store.remember(tree.lockKey, () => undefined).catch(() => undefined);
  return { installed: true };
}

/**
 * Copies `packages` (without their own node_modules) from `installDir` to the same paths under
 * `toDir`: install scripts are about to change them.
 */
export async function putAside(packages: readonly LockedPackage[], installDir: string, toDir: string): Promise<void> {
  const copies: Copy[] = [];
  for (const pkg of packages) {
    const source = join(installDir, pkg.path);
    // As add() takes them: real folders inside installDir only, never through a link.
    if ((await lstat(source).catch(() => null))?.isDirectory() === true && (await isInside(installDir, source))) await plan(source, join(toDir, pkg.path), copies, true);
  }
  await mapLimited(copies, COPY_WIDTH, (copy) => copy());
}
