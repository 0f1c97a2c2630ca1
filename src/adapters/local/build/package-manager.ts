import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, dirname, join, relative } from 'node:path';

import { installCommand, LOCKFILES, YARN_BERRY_MARKER, type PackageManagerName } from '../../../core/build-recipe.js';

export type { PackageManagerName };

/** How to install a checked-out app's dependencies, found from its lockfile. */
export interface InstallPlan {
  tool: PackageManagerName;
  /** The lockfile that chose the tool, relative to the repo; null when there is none. */
  lockfile: string | null;
  /** Where to run the install: the lockfile's directory (a workspace root in a monorepo). */
  dir: string;
  args: string[];
  /** What the log and a failure reason call the step, e.g. "npm ci". */
  label: string;
  /** The build-cache entry holding this tool's store. */
  cacheEntry: string;
  /** Arguments and variables that point the tool at its store in the build cache. */
  useCache(storeDir: string): { args: string[]; env: Record<string, string> };
}

/** The npm cache variables; OpenNext runs npm itself during its build, so the build gets them too. */
export function npmCacheEnv(storeDir: string): Record<string, string> {
  return {
    npm_config_cache: storeDir,
    npm_config_prefer_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
}

/**
 * Finds the lockfile in `appDir` or, for a workspace member, in a parent up to `repoDir`.
 * Without one, npm installs from package.json.
 */
export async function planInstall(appDir: string, repoDir: string): Promise<InstallPlan> {
  for (let dir = appDir; ; dir = dirname(dir)) {
    for (const [file, tool] of LOCKFILES) {
      if (await isFile(join(dir, file))) return plan(tool, dir, relative(repoDir, join(dir, file)), await isFile(join(dir, YARN_BERRY_MARKER)));
    }
    if (dir === repoDir || relative(repoDir, dir).startsWith('..') || dirname(dir) === dir) break;
  }
  return plan('npm', appDir, null, false);
}

/** The recipe's install command, and where this machine's build cache keeps the tool's store. */
function plan(tool: PackageManagerName, dir: string, lockfile: string | null, yarnBerry: boolean): InstallPlan {
  const { args, label } = installCommand(tool, lockfile !== null, yarnBerry);
  const base = { tool, lockfile, dir, args, label };
  switch (tool) {
    case 'npm':
      return { ...base, cacheEntry: 'npm', useCache: (store) => ({ args: [], env: npmCacheEnv(store) }) };
    case 'pnpm':
      return { ...base, cacheEntry: 'pnpm-store', useCache: (store) => ({ args: ['--store-dir', store, '--prefer-offline'], env: {} }) };
    case 'yarn':
      // Both yarns read YARN_CACHE_FOLDER.
      return { ...base, cacheEntry: 'yarn', useCache: (store) => ({ args: [], env: { YARN_CACHE_FOLDER: store } }) };
    case 'bun':
      return { ...base, cacheEntry: 'bun', useCache: (store) => ({ args: [], env: { BUN_INSTALL_CACHE_DIR: store } }) };
  }
}

/** What to tell a person whose lockfile needs a tool this machine lacks. */
export function installHint(tool: PackageManagerName): string {
  switch (tool) {
    case 'npm':
      return 'install Node.js with npm on the build machine';
    case 'pnpm':
      return 'install it on the build machine ("npm install -g pnpm" or "corepack enable pnpm")';
    case 'yarn':
      return 'install it on the build machine ("npm install -g yarn" or "corepack enable yarn")';
    case 'bun':
      return 'install it on the build machine (see bun.sh), or commit a package-lock.json instead';
  }
}

/** The absolute path of `name` on `pathVar` (a PATH value), or null. */
export async function findExecutable(name: string, pathVar: string | undefined): Promise<string | null> {
  for (const dir of (pathVar ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      if (await isFile(candidate)) return candidate;
    } catch {
      // Not here.
    }
  }
  return null;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isFile() === true;
}
