import { randomBytes } from 'node:crypto';
import { cp, lstat, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { errorMessage } from '../../../core/errors.js';

const FORMAT = 1;
const MANIFEST = 'cache.json';
/** Where the project's `.next/cache` is kept between builds. */
const NEXT_ENTRY = 'next';

type Log = (line: string) => void;

/**
 * The build cache of one project: the package manager's download store, npm's unpacked package
 * store (NpmPackageStore, here when builds run on disk) and Next.js's `.next/cache`. Never a
 * `node_modules` kept from a build: it would go stale. Nothing here is fatal: a cache that cannot
 * be read is thrown away with a log line and the build goes on cold.
 *
 * What the build writes itself (the package manager's download store) may live apart, in
 * `toolsDir`: a sandboxed build may write only its own folders, while `.next/cache` and the
 * package store are read and written by the server and never handed to the build.
 */
export class ProjectBuildCache {
  private constructor(
    readonly dir: string,
    private readonly toolsDir: string,
  ) {}

  /** The project's name as one safe path segment, as the cache's own folder is named. */
  get name(): string {
    return basename(this.dir);
  }

  /** Opens (creating if needed) the cache of `projectName` under `cacheRoot`. */
  static async open(cacheRoot: string, projectName: string, log: Log, toolsDir?: string): Promise<ProjectBuildCache | null> {
    const dir = join(cacheRoot, safeName(projectName));
    try {
      const problem = await manifestProblem(dir);
      if (problem !== null) {
        log(`▸ Build cache unreadable (${problem}); discarding it and building cold`);
        await rm(dir, { recursive: true, force: true });
      }
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, MANIFEST), JSON.stringify({ format: FORMAT }) + '\n');
      return new ProjectBuildCache(dir, toolsDir ?? dir);
    } catch (error) {
      log(`▸ Build cache not usable (${errorMessage(error)}); building without it`);
      return null;
    }
  }

  /** A directory for a tool's store (`npm`, `pnpm-store`, …), discarded first if it is not one. */
  entry(name: string, log: Log): Promise<string | null> {
    return this.folder(join(this.toolsDir, name), name, log);
  }

  /** A directory of the server's own in the cache (the package store), never written by a build. */
  ownEntry(name: string, log: Log): Promise<string | null> {
    return this.folder(join(this.dir, name), name, log);
  }

  private async folder(path: string, name: string, log: Log): Promise<string | null> {
    try {
      const info = await stat(path).catch(() => null);
      if (info !== null && !info.isDirectory()) {
        log(`▸ Build cache entry "${name}" is damaged; discarding it`);
        await rm(path, { recursive: true, force: true });
      }
      await mkdir(path, { recursive: true });
      return path;
    } catch (error) {
      log(`▸ Build cache entry "${name}" not usable (${errorMessage(error)}); going on without it`);
      return null;
    }
  }

  async discard(name: string, log: Log): Promise<void> {
    log(`▸ Discarding the "${name}" build cache`);
    await rm(join(this.toolsDir, name), { recursive: true, force: true }).catch(() => undefined);
  }

  /** Copies the saved `.next/cache` into `nextDir/cache`. Returns whether there was one. */
  async restoreNext(nextDir: string, log: Log): Promise<boolean> {
    const saved = join(this.dir, NEXT_ENTRY);
    const target = join(nextDir, 'cache');
    try {
      const info = await stat(saved).catch(() => null);
      if (info === null) return false;
      if (!info.isDirectory()) throw new Error('not a directory');
      // The app's folders are the build's: through a `.next` it made a link (committed to the
      // repository, say), the server would delete and write wherever that leads, with its rights.
      if ((await lstat(nextDir).catch(() => null))?.isDirectory() === false) {
        log('▸ Not restoring .next/cache: the app\'s .next is not a folder (a link?)');
        return false;
      }
      await rm(target, { recursive: true, force: true });
      await mkdir(nextDir, { recursive: true });
      await cp(saved, target, { recursive: true });
      log('▸ Restored .next/cache from the previous build');
      return true;
    } catch (error) {
      log(`▸ Saved .next/cache unreadable (${errorMessage(error)}); discarding it`);
      await rm(saved, { recursive: true, force: true }).catch(() => undefined);
      await rm(target, { recursive: true, force: true }).catch(() => undefined);
      return false;
    }
  }

  /**
   * Keeps `source` (a build's `.next/cache`, moved out of its app) as the one the next build
   * restores, swapped in by rename so a concurrent build never reads half a cache. On the cache's
   * filesystem it is moved, and saved when this resolves. From another one (builds in memory) it is
   * copied to disk: that takes a while, so it is handed back as `copying`, for the caller to wait on
   * before it removes `source`.
   */
  async saveNext(source: string, log: Log): Promise<{ copying: Promise<void> | null }> {
    if ((await stat(source).catch(() => null))?.isDirectory() !== true) return { copying: null };
    const fresh = join(this.dir, `${NEXT_ENTRY}.new-${randomBytes(4).toString('hex')}`);
    try {
      await rename(source, fresh);
      await this.swapIn(fresh, log);
      return { copying: null };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') {
        couldNotSave(log, error);
        return { copying: null };
      }
    }
    const copying = cp(source, fresh, { recursive: true }).then(
      () => this.swapIn(fresh, log),
      async (error: unknown) => {
        couldNotSave(log, error);
        await rm(fresh, { recursive: true, force: true }).catch(() => undefined);
      },
    );
    return { copying };
  }

  /** Puts `fresh` where the next build looks for its `.next/cache`. */
  private async swapIn(fresh: string, log: Log): Promise<void> {
    const saved = join(this.dir, NEXT_ENTRY);
    const old = join(this.dir, `${NEXT_ENTRY}.old-${randomBytes(4).toString('hex')}`);
    try {
      await rename(saved, old).catch(() => undefined);
      await rename(fresh, saved);
    } catch (error) {
      couldNotSave(log, error);
    } finally {
      await rm(fresh, { recursive: true, force: true }).catch(() => undefined);
      await rm(old, { recursive: true, force: true }).catch(() => undefined);
    }
  }
}

function couldNotSave(log: Log, error: unknown): void {
  log(`▸ Could not save .next/cache (${errorMessage(error)}); the next build starts without it`);
}

async function manifestProblem(dir: string): Promise<string | null> {
  const info = await stat(dir).catch(() => null);
  if (info === null) return null;
  if (!info.isDirectory()) return 'not a directory';
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST), 'utf8');
  } catch {
    return `no ${MANIFEST}`;
  }
  try {
    const manifest = JSON.parse(text) as { format?: unknown };
    return manifest.format === FORMAT ? null : `format ${String(manifest.format)}, expected ${FORMAT}`;
  } catch {
    return `${MANIFEST} is not JSON`;
  }
}

/** A project name as one safe path segment (the name of its cache folder). */
export function safeName(projectName: string): string {
  const name = projectName.replace(/[^A-Za-z0-9._-]/g, '_');
  return name === '' || /^\.+$/.test(name) ? `_${name}` : name;
}
