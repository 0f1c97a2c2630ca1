import { lstat, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../../../core/errors.js';
import type { ProjectBuildCache } from './build-cache.js';
import type { StepResult } from './build-processes.js';
import { readLockedTree, type LockedPackage } from './npm-lockfile.js';
import { installFromStore, NpmPackageStore, putAside } from './npm-package-store.js';

type Log = (line: string) => void;
type Npm = (label: string, args: string[]) => Promise<StepResult>;

/** What the project's package store will take from npm ci, once it has installed. */
export interface StoreTake {
  store: NpmPackageStore;
  installDir: string;
  packages: LockedPackage[];
  lockKey: string;
  /** Packages with install scripts the store lacks: npm ci puts them aside before the scripts run. */
  toPutAside: LockedPackage[];
}

/** What npm ci unpacked for a build, for the project's package store to keep. */
export interface StoreAdd extends StoreTake {
  /** When npm ci ended (ms): a package changed after that is not kept. */
  unpackedAt: number;
  /** Where the packages with install scripts were put aside. */
  pristineDir?: string;
}

/**
 * The builder's side of the npm package stores: installing from one, and handing a build's
 * packages to it after the build. Adds to a store take turns, and a build of the project waits
 * for the one in progress before it looks.
 */
export class PackageStoreInstalls {
  /** Adds started by release(), by build id. */
  private readonly pending = new Map<string, () => Promise<void>>();
  /** Adds in progress, by store dir. */
  private readonly storing = new Map<string, Promise<void>>();

  constructor(private readonly options: {
    /** `<storeRoot>/<project>/`; default: the `npm-packages` entry of the project's build cache. */
    storeRoot?: string | undefined;
    /** Non-null when the builds' memory is short: then the store takes nothing more. */
    noRoom: () => string | null;
  }) {}

  /**
   * npm with a lockfile: installs from the project's package store when it has every package.
   * Otherwise leaves the install to npm ci and, when the lockfile allows it, says what the store
   * should take once npm ci has installed.
   */
  async install(cache: ProjectBuildCache, installDir: string, env: Record<string, string>, npm: Npm, log: Log): Promise<{ installed: true } | { installed: false; storeAdd: StoreTake | null }> {
    const dir = await this.storeDir(cache, log);
    if (dir === null) return { installed: false, storeAdd: null };
    const npmrcs = [join(installDir, '.npmrc'), env.npm_config_userconfig ?? join(env.HOME ?? '/nonexistent', '.npmrc')];
    const tree = await readLockedTree(installDir, env, npmrcs);
    if (!tree.ok) {
      log(`▸ Package store not used: ${tree.reason}`);
      return { installed: false, storeAdd: null };
    }
    // The last build of the project may still be storing what it unpacked.
    await this.storing.get(dir);
    const store = new NpmPackageStore(dir);
    const result = await installFromStore(store, tree, installDir, () => npm('npm rebuild', ['rebuild']), log);
    if (result.installed) return { installed: true };
    if (!result.addAfter) return { installed: false, storeAdd: null };
    const scripted = tree.packages.filter((pkg) => pkg.scripts);
    const stored = await store.has(scripted.map((pkg) => pkg.key));
    return { installed: false, storeAdd: { store, installDir, packages: tree.packages, lockKey: tree.lockKey, toPutAside: scripted.filter((pkg) => !stored.has(pkg.key)) } };
  }

  /**
   * After `npm ci --ignore-scripts`: puts the script packages aside as npm unpacked them (for the
   * store), then has npm rebuild run their scripts. When that fails, node_modules is removed and
   * null returned, for a plain npm ci to say how it goes (it drops an optional package whose
   * script fails, where npm rebuild fails).
   */
  async runInstallScripts(add: StoreAdd, pristineDir: string, npm: Npm, log: Log): Promise<StoreAdd | null> {
    await putAside(add.toPutAside, add.installDir, pristineDir);
    log('▸ Running install scripts with npm rebuild');
    const rebuilt = await npm('npm rebuild', ['rebuild']);
    if (rebuilt.exitCode === 0) return { ...add, pristineDir };
    log(`▸ npm rebuild failed (exit ${String(rebuilt.exitCode)}); installing again with plain npm ci, which has the last word`);
    await rm(join(add.installDir, 'node_modules'), { recursive: true, force: true });
    await rm(pristineDir, { recursive: true, force: true });
    return null;
  }

  /**
   * When a build ends: moves what npm ci unpacked to `staged`, out of the scratch dir about to be
   * removed. After a success the store takes it when release() comes (the deployment is live by
   * then); after a failure at once (the next push of the project starts warm either way).
   */
  async stage(buildId: string, staged: string, add: StoreAdd, succeeded: boolean): Promise<void> {
    if (this.options.noRoom() !== null) return;
    try {
      // A link planted in its place would have the server move whatever it leads to.
      if ((await lstat(join(add.installDir, 'node_modules'))).isSymbolicLink()) return;
      await mkdir(staged, { recursive: true });
      await rename(join(add.installDir, 'node_modules'), join(staged, 'node_modules'));
      if (add.pristineDir !== undefined) await rename(add.pristineDir, join(staged, 'pristine'));
    } catch {
      await rm(staged, { recursive: true, force: true }).catch(() => undefined);
      return;
    }
    const run = (): Promise<void> => {
      const dir = add.store.dir;
      const adding = (this.storing.get(dir) ?? Promise.resolve())
        .then(() => add.store.add(
          { dir: staged, ...(add.pristineDir === undefined ? {} : { pristineDir: join(staged, 'pristine') }), unpackedAt: add.unpackedAt },
          add.packages, add.lockKey, () => undefined,
        ))
        .then(() => undefined, () => undefined)
        .finally(() => rm(staged, { recursive: true, force: true }).catch(() => undefined));
      const tracked = adding.finally(() => {
        if (this.storing.get(dir) === tracked) this.storing.delete(dir);
      });
      this.storing.set(dir, tracked);
      return tracked;
    };
    if (succeeded) this.pending.set(buildId, run);
    else void run();
  }

  /** Starts the add a successful build staged; it goes on in the background. */
  release(buildId: string): void {
    const run = this.pending.get(buildId);
    this.pending.delete(buildId);
    void run?.();
  }

  /** Resolves when no add is in progress. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.storing.values()]);
  }

  private async storeDir(cache: ProjectBuildCache, log: Log): Promise<string | null> {
    if (this.options.storeRoot === undefined) return cache.ownEntry('npm-packages', log);
    const dir = join(this.options.storeRoot, cache.name);
    try {
      await mkdir(dir, { recursive: true });
      return dir;
    } catch (error) {
      log(`▸ Package store not usable (${errorMessage(error)}); installing with npm ci`);
      return null;
    }
  }
}
