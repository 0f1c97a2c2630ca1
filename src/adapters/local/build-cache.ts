import { randomBytes } from 'node:crypto';
import { cp, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../../core/errors.js';

const FORMAT = 1;
const MANIFEST = 'cache.json';
/** Where the project's `.next/cache` is kept between builds. */
const NEXT_ENTRY = 'next';

type Log = (line: string) => void;

/**
 * The build cache of one project: the package manager's download store and Next.js's
 * `.next/cache`. Never `node_modules` itself (a clean install from a warm store is nearly as
 * fast and never stale). Nothing here is fatal: a cache that cannot be read is thrown away with
 * a log line and the build goes on cold.
 */
export class ProjectBuildCache {
  private constructor(readonly dir: string) {}

  /** Opens (creating if needed) the cache of `projectName` under `cacheRoot`. */
  static async open(cacheRoot: string, projectName: string, log: Log): Promise<ProjectBuildCache | null> {
    const dir = join(cacheRoot, safeName(projectName));
    try {
      const problem = await manifestProblem(dir);
      if (problem !== null) {
        log(`▸ Build cache unreadable (${problem}); discarding it and building cold`);
        await rm(dir, { recursive: true, force: true });
      }
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, MANIFEST), JSON.stringify({ format: FORMAT }) + '\n');
      return new ProjectBuildCache(dir);
    } catch (error) {
      log(`▸ Build cache not usable (${errorMessage(error)}); building without it`);
      return null;
    }
  }

  /** A directory for a tool's store (`npm`, `pnpm-store`, …), discarded first if it is not one. */
  async entry(name: string, log: Log): Promise<string | null> {
    const path = join(this.dir, name);
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
    await rm(join(this.dir, name), { recursive: true, force: true }).catch(() => undefined);
  }

  /** Copies the saved `.next/cache` into `nextDir/cache`. Returns whether there was one. */
  async restoreNext(nextDir: string, log: Log): Promise<boolean> {
    const saved = join(this.dir, NEXT_ENTRY);
    const target = join(nextDir, 'cache');
    try {
      const info = await stat(saved).catch(() => null);
      if (info === null) return false;
      if (!info.isDirectory()) throw new Error('not a directory');
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
   * Keeps `nextDir/cache` for the next build. It is moved, not copied (the scratch dir is removed
   * next anyway), and swapped in by rename so a concurrent build never reads half a cache.
   */
  /** Keeps `source` (a build's `.next/cache`, moved out of the way) as the one the next build restores. */
  async saveNext(source: string, log: Log): Promise<void> {
    if ((await stat(source).catch(() => null))?.isDirectory() !== true) return;
    const suffix = randomBytes(4).toString('hex');
    const fresh = join(this.dir, `${NEXT_ENTRY}.new-${suffix}`);
    const old = join(this.dir, `${NEXT_ENTRY}.old-${suffix}`);
    const saved = join(this.dir, NEXT_ENTRY);
    try {
      await rename(source, fresh).catch(async (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EXDEV') throw error;
        await cp(source, fresh, { recursive: true });
      });
      await rename(saved, old).catch(() => undefined);
      await rename(fresh, saved);
    } catch (error) {
      log(`▸ Could not save .next/cache (${errorMessage(error)}); the next build starts without it`);
    } finally {
      await rm(fresh, { recursive: true, force: true }).catch(() => undefined);
      await rm(old, { recursive: true, force: true }).catch(() => undefined);
    }
  }
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

/** A project name as one safe path segment. */
function safeName(projectName: string): string {
  const name = projectName.replace(/[^A-Za-z0-9._-]/g, '_');
  return name === '' || /^\.+$/.test(name) ? `_${name}` : name;
}
