/**
 * How anchor builds an app, the same on both backends: the local builder runs these steps
 * (src/adapters/local/build/process-builder.ts) and CodeBuild's buildspec is generated from them
 * (infra/stack/buildspec.ts). Only what is backend-specific stays there: caches and the package
 * store locally, corepack and the S3 upload on CodeBuild.
 *
 * 1. Install with the package manager the lockfile names, found in the app's directory or a
 *    parent up to the repository root (a workspace member installs from its root).
 * 2. Put anchor's default `open-next.config.ts` into an app that has no OpenNext config.
 * 3. `open-next build` (which runs the app's own build script), from the app's or a parent's
 *    `node_modules/.bin`.
 * 4. Check the output is there, so a build that "succeeded" without one fails with a reason.
 */

export type PackageManagerName = 'npm' | 'pnpm' | 'yarn' | 'bun';

/** Looked for in this order in each directory; the first found decides. */
export const LOCKFILES: ReadonlyArray<readonly [string, PackageManagerName]> = [
  ['package-lock.json', 'npm'],
  ['npm-shrinkwrap.json', 'npm'],
  ['pnpm-lock.yaml', 'pnpm'],
  ['yarn.lock', 'yarn'],
  ['bun.lock', 'bun'],
  ['bun.lockb', 'bun'],
];

/** Beside yarn.lock, this file means Yarn 2+ (which renamed --frozen-lockfile to --immutable). */
export const YARN_BERRY_MARKER = '.yarnrc.yml';

export interface InstallCommand {
  tool: PackageManagerName;
  args: string[];
  /** What logs and failure reasons call the step, e.g. "npm ci". */
  label: string;
}

/** The install for the lockfile's tool (`hasLockfile` false: npm installs from package.json). */
export function installCommand(tool: PackageManagerName, hasLockfile: boolean, yarnBerry: boolean): InstallCommand {
  const args = ((): string[] => {
    switch (tool) {
      case 'npm':
        return hasLockfile ? ['ci'] : ['install'];
      case 'yarn':
        return ['install', yarnBerry ? '--immutable' : '--frozen-lockfile'];
      case 'pnpm':
      case 'bun':
        return ['install', '--frozen-lockfile'];
    }
  })();
  return { tool, args, label: [tool, ...args].join(' ') };
}

/** An app with any of these has its own OpenNext config. */
export const OPEN_NEXT_CONFIG_NAMES = ['open-next.config.ts', 'open-next.config.mjs', 'open-next.config.js', 'open-next.config.cjs'] as const;
/** Where anchor's default config goes in an app that has none. */
export const DEFAULT_CONFIG_FILE = 'open-next.config.ts';

export const OPEN_NEXT_BUILD = { bin: 'open-next', args: ['build'] } as const;

/**
 * anchor's OpenNext build driver (templates/open-next-build.mjs and the modules it loads): runs the
 * app's own `open-next build` in-process, with the code patches and the image function's install
 * reused from the project's packaging cache when their inputs are the same; with an OpenNext
 * version it does not know, it runs `open-next build` as a child and says so. The files go side by
 * side into the build; it runs as `node <driver> --cache <dir>` from the app's directory.
 */
export const PACKAGING_DRIVER = { files: ['open-next-build.mjs', 'open-next-hooks.mjs', 'open-next-patch-cache.mjs', 'open-next-cache-files.mjs'], main: 'open-next-build.mjs', cacheEntry: 'opennext' } as const;
/** The driver's summary line in a build log, when it reused or filled the cache. */
export const PACKAGING_SUMMARY = /^▸ Packaging cache: code patches ([\d.]+) s \((\d+) files reused, (\d+) patched\); image function dependencies ([\d.]+) s/;

/** Variables every build step gets: no telemetry, and nobody to answer a prompt. */
export const BUILD_ENV = { NEXT_TELEMETRY_DISABLED: '1', CI: '1' } as const;

export interface OutputCheck {
  /** Relative to the app's directory. */
  path: string;
  kind: 'directory' | 'file';
  failure: string;
}

export const OUTPUT_CHECKS: readonly OutputCheck[] = [
  { path: '.open-next', kind: 'directory', failure: 'OpenNext build finished but wrote no .open-next directory: check open-next.config.ts and the build output above' },
  { path: '.open-next/open-next.output.json', kind: 'file', failure: 'OpenNext build finished but wrote no open-next.output.json: check that @opennextjs/aws is version 3 or later' },
];

/**
 * The lines each step writes to the build log, the same on both backends: a person reading a
 * log sees the same build, and a test compares the steps two builders took by these lines.
 */
export const RECIPE_LOG = {
  install: (command: InstallCommand, hasLockfile: boolean) => `▸ Installing with ${command.label}${hasLockfile ? '' : ' (no lockfile found)'}`,
  defaultConfig: "▸ No open-next.config.ts in the app; using anchor's default",
  build: '▸ Building with OpenNext',
  failed: (reason: string) => `▸ Build failed: ${reason}`,
} as const;

/** The recipe's own lines in a build log, in order (what a builder did, step by step). */
export function recipeStepsIn(log: readonly string[]): string[] {
  const steps = /^▸ (Installing with |No open-next\.config\.ts|Building with OpenNext|Build failed: )/;
  return log.filter((line) => steps.test(line));
}
