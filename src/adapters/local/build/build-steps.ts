import { constants } from 'node:fs';
import { copyFile, readdir, rename, stat } from 'node:fs/promises';
import { delimiter, dirname, join, resolve } from 'node:path';
import type { BuildRequest } from '../../../core/ports/builder.js';
import { errorMessage } from '../../../core/errors.js';
import { BUILD_ENV, DEFAULT_CONFIG_FILE, OPEN_NEXT_BUILD, OPEN_NEXT_CONFIG_NAMES, OUTPUT_CHECKS, RECIPE_LOG } from '../../../core/build-recipe.js';
import { BuildFailure, BuildStopped, stepFailureReason } from './build-failure.js';
import { ProjectBuildCache } from './build-cache.js';
import { openNextCommand } from './packaging-cache.js';
import type { BuildProcesses, StepResult } from './build-processes.js';
import { checkoutCommit, redactUrl, tokenForGit } from './git-checkout.js';
import type { PackageStoreInstalls, StoreAdd } from './package-store-installs.js';
import { findExecutable, installHint, npmCacheEnv, planInstall } from './package-manager.js';
import { COPY_LINKED_FILES_IN, hasLinksLeadingOut, isRealDirectory, type BuildSandbox } from './build-sandbox.js';
import { realPathInside } from '../../../lib/real-path-inside.js';

/**
 * The steps of one local build (build-recipe.ts's recipe, run as child processes): the source,
 * the install, the OpenNext build and its output. ProcessBuilder owns the build's life (timeout,
 * stop, scratch); these own what happens inside it.
 */

export interface BuildState {
  request: BuildRequest;
  processes: BuildProcesses;
  stopRequested: boolean;
  timedOut: boolean;
  tmpDir: string | null;
  commitSha: string | null;
  /** The commit was checked out (BuildEnd.checkedOut). */
  checkedOut: boolean;
  /** `<workDir or spill.workDir>/<buildId>`. */
  scratch: string;
  /** Why the build runs in spill.workDir, when it does. */
  spilled: string | null;
  /** After npm ci: the package store that takes the packages it unpacked, once the build ends. */
  storeAdd: StoreAdd | null;
}

/** Runs one step of the build as a child process in the sandbox; throws BuildStopped once stopped. */
export type Step = (label: string, file: string, args: string[], cwd: string, env: Record<string, string>, quiet?: boolean, rewrite?: (line: string) => string) => Promise<StepResult>;

export interface StepsContext {
  build: BuildState;
  scratch: string;
  repoDir: string;
  log: (line: string) => void;
  step: Step;
  sandbox: BuildSandbox;
  /** The env every step starts from (no AWS_*, the sandbox's TMPDIR). */
  base: Record<string, string>;
  cacheDir: string;
  defaultOpenNextConfig: string;
  packageStores: PackageStoreInstalls;
}

/** Install errors that a damaged package store can cause (and a fresh store cures). */
const CACHE_TROUBLE = /EINTEGRITY|integrity|corrupt|cache|ENOTDIR|EISDIR|EEXIST|tarball|unexpected end|invalid json|TAR_/i;

/**
 * A step as the build runs it: stopped or past its time, no step starts after that. `beforeStep`
 * may hold a step back (anchor server: while a burst of webhooks is answered, since starting a
 * process blocks the server's one thread for as long as the fork takes).
 */
export function stepRunner(build: BuildState, sandbox: BuildSandbox, log: (line: string) => void, beforeStep?: () => Promise<void>): Step {
  return async (label, file, args, cwd, env, quiet = false, rewrite = (line) => line) => {
    // (The timeout's kill may be scanning for processes while a step ends and the next would
    // start; that one would never be killed.)
    const over = () => build.stopRequested || build.timedOut;
    if (over()) throw new BuildStopped();
    if (beforeStep) await beforeStep();
    if (over()) throw new BuildStopped();
    const result = await build.processes.run(file, args, { cwd, env, onLine: quiet ? () => undefined : (line) => log(rewrite(line)), sandbox: sandbox.wrap });
    if (over()) throw new BuildStopped();
    if (result.spawnError === 'ENOENT') throw new BuildFailure(`${label} failed: "${file}" was not found on the build machine's PATH`);
    return result;
  };
}

/** 1. Source: the commit checked out, and the app's folder in it. */
export async function checkOutSource(ctx: StepsContext): Promise<{ commitSha: string; commitMessage: string | null; appDir: string }> {
  const { build, log, step, sandbox, repoDir } = ctx;
  const { request } = build;
  const shownUrl = redactUrl(request.repoUrl);
  log(`▸ Cloning ${shownUrl} (${request.commitSha ?? request.ref})`);
  const auth = tokenForGit(request.repoToken ?? null);
  const gitEnv = { ...ctx.base, ...sandbox.gitEnv(), GIT_TERMINAL_PROMPT: '0', ...auth.env };
  const { commitSha, commitMessage } = await checkoutCommit(
    (args, opts) => step(`git ${args[0] ?? ''}`, 'git', [...auth.args, ...args], opts.cwd, gitEnv, opts.quiet === true, (line) => (shownUrl === request.repoUrl ? line : line.replaceAll(request.repoUrl, shownUrl))),
    { repoDir, repoUrl: request.repoUrl, ref: request.ref, commitSha: request.commitSha, auth: { projectName: request.projectName, withToken: auth.args.length > 0 } },
  );
  build.commitSha = commitSha;
  build.checkedOut = true;
  log(`▸ Checked out ${commitSha.slice(0, 12)}${commitMessage === null ? '' : ` "${commitMessage}"`}`);
  try {
    request.onCheckedOut?.(commitSha);
  } catch {
    // The caller's bookkeeping must not break the build.
  }
  // Resolved: a link in the repository never leads the server's own file work out of it.
  const appDir = await realPathInside(repoDir, resolve(repoDir, request.root === '' ? '.' : request.root));
  if (appDir === null || (await stat(appDir).catch(() => null))?.isDirectory() !== true) {
    throw new BuildFailure(`root directory "${request.root}" not found in the repository at ${commitSha.slice(0, 12)}: check the project's --root`);
  }
  return { commitSha, commitMessage, appDir };
}

type Install = Awaited<ReturnType<typeof planInstall>>;

/** 2. Install, with the tool's store kept in the project's build cache. Returns the cache and the env the next steps run with. */
export async function installDependencies(ctx: StepsContext, appDir: string): Promise<{ cache: ProjectBuildCache | null; buildEnv: Record<string, string> }> {
  const { build, log, sandbox, repoDir } = ctx;
  const cache = await ProjectBuildCache.open(ctx.cacheDir, build.request.projectName, log, sandbox.toolsDir);
  const install = await planInstall(appDir, repoDir);
  const toolStore = async (name: string): Promise<string | null> => {
    const dir = cache === null ? null : await cache.entry(name, log);
    if (dir !== null) await sandbox.handOver(dir);
    return dir;
  };
  const npmStore = await toolStore('npm');
  const buildEnv = withoutAws({ ...ctx.base, ...build.request.env, ...(npmStore === null ? {} : npmCacheEnv(npmStore)), ...BUILD_ENV });
  if ((await findExecutable(install.tool, buildEnv.PATH)) === null) {
    const why = install.lockfile === null ? 'there is no lockfile' : `${install.lockfile} needs it`;
    throw new BuildFailure(`${install.tool} is not installed on the build machine (${why}): ${installHint(install.tool)}`);
  }
  const runInstall = (extraArgs: string[] = []) => runInstallStep(ctx, { install, cache, buildEnv, store: () => (cache === null ? null : install.cacheEntry === 'npm' ? npmStore : toolStore(install.cacheEntry)) }, extraArgs);
  const installStarted = Date.now();
  // npm rebuild writes into packages the server laid out from the store: they become the build's first.
  const npm = async (label: string, args: string[]): Promise<StepResult> => {
    await sandbox.handOver(join(install.dir, 'node_modules'), { recursive: true });
    return ctx.step(label, 'npm', args, install.dir, buildEnv);
  };
  const fromStore = install.tool === 'npm' && install.lockfile !== null && cache !== null ? await ctx.packageStores.install(cache, install.dir, buildEnv, npm, log) : { installed: false as const, storeAdd: null };
  if (!fromStore.installed) {
    const storeAdd = fromStore.storeAdd;
    // The store keeps packages as npm unpacks them, before their install scripts change them:
    // npm ci runs the scripts only after a copy of those the store lacks is put aside, as npm
    // rebuild does from the store (about half a second more, once per new scripted package).
    const scripted = storeAdd !== null && storeAdd.toPutAside.length > 0;
    const installed = await runInstall(scripted ? ['--ignore-scripts'] : []);
    if (installed.exitCode !== 0) throw new BuildFailure(stepFailureReason(install.label, installed));
    let keep: StoreAdd | null = storeAdd === null ? null : { ...storeAdd, unpackedAt: Date.now() };
    if (keep !== null && scripted) {
      keep = await ctx.packageStores.runInstallScripts(keep, join(ctx.scratch, 'pristine'), npm, log);
      if (keep === null) {
        const plain = await runInstall();
        if (plain.exitCode !== 0) throw new BuildFailure(stepFailureReason(install.label, plain));
      }
    }
    // Only a finished install: a stopped one leaves packages half unpacked.
    build.storeAdd = keep;
  }
  log(`▸ Installed in ${seconds(installStarted)}`);
  return { cache, buildEnv };
}

/** The install command once, and once more from an empty store when a warm one seems damaged. */
async function runInstallStep(
  ctx: StepsContext,
  input: { install: Install; cache: ProjectBuildCache | null; buildEnv: Record<string, string>; store: () => Promise<string | null> | string | null },
  extraArgs: string[],
): Promise<StepResult> {
  const { install, cache, buildEnv } = input;
  const store = await input.store();
  const cached = store === null ? { args: [], env: {} } : install.useCache(store);
  const label = [install.label, ...extraArgs].join(' ');
  ctx.log(RECIPE_LOG.install({ ...install, label }, install.lockfile !== null));
  const warm = store !== null && (await readdir(store).catch(() => [])).length > 0;
  const once = (): Promise<StepResult> => ctx.step(label, install.tool, [...install.args, ...extraArgs, ...cached.args], install.dir, { ...buildEnv, ...cached.env });
  const result = await once();
  if (result.exitCode === 0 || !warm || cache === null || !result.tail.some((line) => CACHE_TROUBLE.test(line))) return result;
  // A damaged store makes installs fail in odd ways; one retry from an empty store tells.
  ctx.log(`▸ ${label} failed with a warm cache; discarding the cache and trying once more`);
  await cache.discard(install.cacheEntry, ctx.log);
  return once();
}

/** 3. The OpenNext build (anchor's default config when the app has none); returns the checked `.open-next` folder. */
export async function openNextBuild(ctx: StepsContext, appDir: string, cache: ProjectBuildCache | null, buildEnv: Record<string, string>): Promise<string> {
  const { log: write, sandbox, step } = ctx;
  if (!(await hasAny(appDir, OPEN_NEXT_CONFIG_NAMES))) {
    write(RECIPE_LOG.defaultConfig);
    try {
      // EXCL: never through a dangling link the repository planted there.
      await copyFile(ctx.defaultOpenNextConfig, join(appDir, DEFAULT_CONFIG_FILE), constants.COPYFILE_EXCL);
      await sandbox.handOver(join(appDir, DEFAULT_CONFIG_FILE));
    } catch (error) {
      throw new BuildFailure(`could not copy anchor's default open-next.config.ts from ${ctx.defaultOpenNextConfig}: ${errorMessage(error)}`);
    }
  }
  const binDirs = binDirsUpTo(appDir, ctx.repoDir);
  const openNext = await findExecutable(OPEN_NEXT_BUILD.bin, binDirs.join(delimiter));
  if (openNext === null) {
    throw new BuildFailure('open-next is not installed in the app: add it with "npm install --save-dev @opennextjs/aws" and push again');
  }
  if (cache !== null && (await cache.restoreNext(join(appDir, '.next'), write))) await sandbox.handOver(join(appDir, '.next'), { recursive: true });
  write(RECIPE_LOG.build);
  const env = { ...buildEnv, PATH: [...binDirs, buildEnv.PATH ?? ''].join(delimiter) };
  const buildStarted = Date.now();
  const command = await openNextCommand({ openNext, cache, scratch: ctx.scratch, path: env.PATH ?? '', log: write, handOver: (path, options) => sandbox.handOver(path, options) });
  const built = await step('OpenNext build', command.file, command.args, appDir, env);
  if (built.exitCode !== 0) throw new BuildFailure(stepFailureReason('OpenNext build', built));
  write(`▸ Built in ${seconds(buildStarted)}`);

  for (const check of OUTPUT_CHECKS) {
    const found = await stat(join(appDir, check.path)).catch(() => null);
    if ((check.kind === 'directory' ? found?.isDirectory() : found?.isFile()) !== true) throw new BuildFailure(check.failure);
  }
  const output = join(appDir, '.open-next');
  // A link planted in the repository as the output would make the artifact lead out of the build.
  if (!(await isRealDirectory(output))) throw new BuildFailure('.open-next is a link, not a directory the build wrote: remove it from the repository');
  if (await hasLinksLeadingOut(output)) {
    const copied = await step('copying linked files into the output', process.execPath, ['-e', COPY_LINKED_FILES_IN, output], appDir, buildEnv, true);
    if (copied.exitCode !== 0) throw new BuildFailure(stepFailureReason('copying linked files into the output', copied));
  }
  return output;
}

/**
 * The output moved to `<scratch>/artifact`, and `.next/cache` kept for the next build: returns the
 * artifact folder and the copy of the cache still going on (null when none).
 */
export async function keepOutput(ctx: StepsContext, appDir: string, output: string, cache: ProjectBuildCache | null): Promise<{ artifactDir: string; copying: Promise<void> | null }> {
  // A stop (or the timeout) that came in while the output was checked still wins.
  if (ctx.build.stopRequested || ctx.build.timedOut) throw new BuildStopped();
  const artifactDir = join(ctx.scratch, 'artifact');
  await rename(output, artifactDir);
  if (cache === null) return { artifactDir, copying: null };
  const staged = join(ctx.scratch, 'next-cache');
  const nextCache = join(appDir, '.next', 'cache');
  if ((await isRealDirectory(join(appDir, '.next'))) && (await isRealDirectory(nextCache)) && (await rename(nextCache, staged).then(() => true, () => false))) {
    // Builds in memory: copying it to disk is half a second no deployment needs to wait for,
    // so it goes on while this one is stored and deployed. cleanup() waits for it.
    const { copying } = await cache.saveNext(staged, ctx.log);
    return { artifactDir, copying };
  }
  return { artifactDir, copying: null };
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

/** Never pass AWS credentials or settings to a build: the local backend has no business with them. */
export function withoutAws(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !key.toUpperCase().startsWith('AWS_')));
}

/** `node_modules/.bin` of the app and of each parent up to the repo root (workspaces hoist). */
function binDirsUpTo(appDir: string, repoDir: string): string[] {
  const dirs: string[] = [];
  for (let dir = appDir; ; dir = dirname(dir)) {
    dirs.push(join(dir, 'node_modules', '.bin'));
    if (dir === repoDir || dirname(dir) === dir) return dirs;
  }
}

async function hasAny(dir: string, names: readonly string[]): Promise<boolean> {
  for (const name of names) {
    if ((await stat(join(dir, name)).catch(() => null))?.isFile() === true) return true;
  }
  return false;
}
