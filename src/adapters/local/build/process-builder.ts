import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { execa as realExeca } from 'execa';
import type { BuildEnd, BuildRequest, Builder, BuildStatus } from '../../../core/ports/builder.js';
import { errorMessage } from '../../../core/errors.js';
import { BUILD_ENV, DEFAULT_CONFIG_FILE, OPEN_NEXT_BUILD, OPEN_NEXT_CONFIG_NAMES, OUTPUT_CHECKS, RECIPE_LOG } from '../../../core/build-recipe.js';
import { diskFullReason } from '../../../core/failure-reasons.js';
import { plural } from '../../../lib/plural.js';
import { storageTrouble } from '../../../lib/storage-errors.js';
import { BuildFailure, BuildStopped, stepFailureReason } from './build-failure.js';
import { ProjectBuildCache } from './build-cache.js';
import { openNextCommand } from './packaging-cache.js';
import { BuildProcesses, killOrphans, type Execa, type StepResult } from './build-processes.js';
import { checkoutCommit, redactUrl, tokenForGit } from './git-checkout.js';
import { PackageStoreInstalls, type StoreAdd } from './package-store-installs.js';
import { findExecutable, installHint, npmCacheEnv, planInstall } from './package-manager.js';
import { BuildSandbox, COPY_LINKED_FILES_IN, hasLinksLeadingOut, isRealDirectory, type BuildSandboxes } from './build-sandbox.js';
import { realPathInside } from '../../../lib/real-path-inside.js';

export interface ProcessBuilderOptions {
  /** Root of the scratch dirs, one per build: `<workDir>/<buildId>/`. */
  workDir: string;
  /** Other roots a previous server may have built in (it chose another place): reaped too. */
  formerWorkDirs?: readonly string[];
  /**
   * Where a build goes when `workDir` has no room for it (memory filled up since the server
   * started), and the check: null when there is room, else why not, for the build's log.
   */
  spill?: { workDir: string; noRoom: () => string | null };
  /** Root of the per-project build caches: `<cacheDir>/<projectName>/`. */
  cacheDir: string;
  /**
   * Root of the projects' npm package stores, `<packageStoreDir>/<projectName>/`: on the builds'
   * filesystem, so that keeping a build's packages is a rename. Default: in each build cache.
   */
  packageStoreDir?: string;
  /** anchor's open-next.config.ts, copied into an app that has none. */
  defaultOpenNextConfig: string;
  /** The variables every step starts from (PATH, HOME, …); this process's own env is never used. */
  baseEnv: Record<string, string>;
  /** How long a stopped build's processes get after SIGTERM before SIGKILL. */
  stopGraceMs?: number;
  /** A build running longer is stopped and fails (CodeBuild's default is the same 30 minutes). */
  timeoutMs?: number;
  /** Where each build's TMPDIR is made (default: the system temp folder). */
  tempRoot?: string;
  /** The projects' sandboxes: without, steps run as this process's user and see what it sees. */
  sandboxes?: BuildSandboxes;
  execa?: Execa;
}

interface BuildState {
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

/** Install errors that a damaged package store can cause (and a fresh store cures). */
const CACHE_TROUBLE = /EINTEGRITY|integrity|corrupt|cache|ENOTDIR|EISDIR|EEXIST|tarball|unexpected end|invalid json|TAR_/i;

/**
 * Builds a deployment in a child process tree on this machine: a shallow clone, the lockfile's
 * package manager, then OpenNext (which runs the app's `build` script itself).
 *
 * Scratch: each build works in `<workDir>/<buildId>/`. When it ends, everything there is removed
 * except, after a success, `<workDir>/<buildId>/artifact` (the `.open-next` output, which
 * `ended.output` names). The caller stores it (Artifacts.store) and then calls
 * `cleanup(buildId)`, which removes the rest.
 */
export class ProcessBuilder implements Builder {
  private readonly builds = new Map<string, { state: BuildState; ended: Promise<BuildEnd> }>();
  /** `.next/cache` copies still being kept for the next build, by scratch dir. */
  private readonly savingCaches = new Map<string, Promise<void>>();
  private readonly packageStores: PackageStoreInstalls;
  private readonly execa: Execa;
  private readonly stopGraceMs: number;

  constructor(private readonly options: ProcessBuilderOptions) {
    this.execa = options.execa ?? realExeca;
    this.stopGraceMs = options.stopGraceMs ?? 5_000;
    this.packageStores = new PackageStoreInstalls({ storeRoot: options.packageStoreDir, noRoom: () => options.spill?.noRoom() ?? null });
  }

  async start(request: BuildRequest): Promise<{ buildId: string; ended: Promise<BuildEnd> }> {
    const buildId = `${request.deploymentId.replace(/[^A-Za-z0-9_-]/g, '_')}-${randomBytes(4).toString('hex')}`;
    const spilled = this.options.spill?.noRoom() ?? null;
    const root = spilled !== null && this.options.spill ? this.options.spill.workDir : this.options.workDir;
    const state: BuildState = {
      request,
      processes: new BuildProcesses(this.execa, { recordFile: `${join(root, buildId)}.procs` }),
      stopRequested: false,
      timedOut: false,
      tmpDir: null,
      commitSha: request.commitSha,
      checkedOut: false,
      scratch: join(root, buildId),
      spilled,
      storeAdd: null,
    };
    const ended = this.run(buildId, state).catch(
      (error: unknown): BuildEnd => ({ ok: false, stopped: false, reason: `internal error in the builder: ${errorMessage(error)}`, commitSha: state.commitSha, checkedOut: state.checkedOut }),
    );
    this.builds.set(buildId, { state, ended });
    void ended.finally(() => this.builds.delete(buildId));
    return { buildId, ended };
  }

  /**
   * A build runs in this process's reach, and its end goes to whoever awaits `ended`: once it ended,
   * or when a previous server started it (its processes were reaped), the builder knows nothing of it.
   */
  async status(input: { deploymentId: string; buildId: string | null }): Promise<BuildStatus> {
    const running = input.buildId ? this.builds.has(input.buildId) : false;
    return running && input.buildId ? { state: 'running', buildId: input.buildId } : { state: 'unknown' };
  }

  /** A local build gets its secrets in its environment only: nothing is kept to forget. */
  async forgetSecret(): Promise<void> {}

  /** Kills every process of the build and waits until its `ended` has resolved (stopped). */
  async stop(buildId: string): Promise<void> {
    const build = this.builds.get(buildId);
    if (build === undefined) return;
    build.state.stopRequested = true;
    await build.state.processes.killAll(this.stopGraceMs);
    await build.ended;
  }

  /** Stops every running build, e.g. when `anchor server` shuts down (detached builds outlive it). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.builds.keys()].map((buildId) => this.stop(buildId)));
    await Promise.allSettled([...this.savingCaches.values(), this.packageStores.settled()]);
  }

  /**
   * At start-up: a previous server that died mid-build (SIGKILL, a crash) left its builds'
   * processes running and their scratch dirs behind. Kills the first and removes the second.
   */
  async reapOrphans(): Promise<{ killed: number[]; removed: string[] }> {
    const roots = [...new Set([...this.roots(), ...(this.options.formerWorkDirs ?? [])])];
    const found = await Promise.all(roots.map(async (root) => ({ root, entries: await readdir(root).catch(() => [] as string[]) })));
    const stale = found.flatMap(({ root, entries }) => entries.filter((name) => /^[A-Za-z0-9_-]+(\.procs)?$/.test(name) && !this.builds.has(name.replace(/\.procs$/, ''))).map((name) => ({ root, name })));
    const killed = await killOrphans(stale.filter((s) => s.name.endsWith('.procs')).map((s) => join(s.root, s.name)));
    for (const { root, name } of stale) await rm(join(root, name), { recursive: true, force: true });
    return { killed, removed: stale.map((s) => s.name).filter((name) => !name.endsWith('.procs')) };
  }

  /** Removes what is left of a finished build's scratch dir (the artifact, once stored). */
  async cleanup(buildId: string): Promise<void> {
    const build = this.builds.get(buildId);
    if (build !== undefined) await build.ended;
    if (!/^[A-Za-z0-9_-]+$/.test(buildId)) return;
    // The deployment is live by now: keeping its packages no longer competes with it.
    this.packageStores.release(buildId);
    for (const root of this.roots()) {
      const scratch = join(root, buildId);
      await this.savingCaches.get(scratch);
      await rm(scratch, { recursive: true, force: true });
      await rm(`${scratch}.procs`, { force: true });
    }
  }

  /** Where this builder's scratch dirs may be: its workDir, and where builds spill to. */
  private roots(): string[] {
    return this.options.spill ? [this.options.workDir, this.options.spill.workDir] : [this.options.workDir];
  }

  private async run(buildId: string, build: BuildState): Promise<BuildEnd> {
    const { request } = build;
    const { scratch } = build;
    const log = (line: string): void => {
      try {
        request.onLine(line);
      } catch {
        // A broken log sink must not break the build.
      }
    };
    let succeeded = false;
    const timeoutMs = this.options.timeoutMs ?? 30 * 60_000;
    // A step that hangs (an install waiting on the network forever) must not hold a build slot for good.
    const timer = setTimeout(() => {
      build.timedOut = true;
      void build.processes.killAll(this.stopGraceMs);
    }, timeoutMs);
    timer.unref();
    try {
      // The build's own (its uid's, closed to others); the folder above only has to let it through.
      await mkdir(dirname(scratch), { recursive: true });
      await mkdir(scratch, { recursive: true, mode: 0o700 });
      if (build.spilled !== null) log(`▸ Building on disk this time: ${build.spilled}`);
      const end = await this.pipeline(build, scratch, log);
      await build.processes.killAll(this.stopGraceMs);
      succeeded = true;
      return end;
    } catch (error) {
      await build.processes.killAll(this.stopGraceMs);
      if (build.timedOut) {
        const limit = timeoutMs >= 60_000 ? plural(Math.round(timeoutMs / 60_000), 'minute') : plural(Math.round(timeoutMs / 1000), 'second');
        const reason = `the build ran longer than ${limit} and was stopped (the last log lines show the step that hung)`;
        log(RECIPE_LOG.failed(reason));
        return { ok: false, stopped: false, reason, commitSha: build.commitSha, checkedOut: build.checkedOut };
      }
      if (build.stopRequested || error instanceof BuildStopped) {
        log('▸ Build stopped');
        return { ok: false, stopped: true, reason: 'build stopped before it finished', commitSha: build.commitSha, checkedOut: build.checkedOut };
      }
      const reason = error instanceof BuildFailure ? error.reason : storageTrouble(error) === 'full' ? diskFullReason(`the builder could not write (${errorMessage(error)}); free space on the build machine and push again`) : `internal error in the builder: ${errorMessage(error)}`;
      log(RECIPE_LOG.failed(reason));
      return { ok: false, stopped: false, reason, commitSha: build.commitSha, checkedOut: build.checkedOut };
    } finally {
      clearTimeout(timer);
      if (build.storeAdd !== null) await this.packageStores.stage(buildId, `${scratch}-modules`, build.storeAdd, succeeded);
      // After a success only the artifact stays, for the caller to store and then cleanup().
      for (const path of [...(succeeded ? [join(scratch, 'repo')] : [scratch]), ...(build.tmpDir ? [build.tmpDir] : [])]) {
        await rm(path, { recursive: true, force: true }).catch(() => undefined);
      }
    }
  }

  private async pipeline(build: BuildState, scratch: string, log: (line: string) => void): Promise<BuildEnd> {
    const { request } = build;
    const repoDir = join(scratch, 'repo');
    // The build's TMPDIR is outside the platform's folders: OpenNext runs `npm install sharp` in a
    // temp folder, and npm installs into the first folder upwards with a package.json or
    // node_modules, so a temp folder under the operator's home (which often has a package.json)
    // would catch it. Under the system temp folder nothing does.
    const tmpDir = await mkdtemp(join(this.options.tempRoot ?? tmpdir(), 'anchor-build-'));
    build.tmpDir = tmpDir;
    const sandbox = await BuildSandbox.open(this.options.sandboxes, { projectName: request.projectName, repoUrl: request.repoUrl, scratch, tmpDir });
    const base = withoutAws({ ...this.options.baseEnv, TMPDIR: sandbox.tmpDir });
    const step = async (
      label: string, file: string, args: string[], cwd: string, env: Record<string, string>, quiet = false, rewrite = (line: string) => line,
    ): Promise<StepResult> => {
      // Stopped, or past its time: no step starts after that. (The timeout's kill may be scanning
      // for processes while a step ends and the next would start; that one would never be killed.)
      const over = () => build.stopRequested || build.timedOut;
      if (over()) throw new BuildStopped();
      const result = await build.processes.run(file, args, { cwd, env, onLine: quiet ? () => undefined : (line) => log(rewrite(line)), sandbox: sandbox.wrap });
      if (over()) throw new BuildStopped();
      if (result.spawnError === 'ENOENT') throw new BuildFailure(`${label} failed: "${file}" was not found on the build machine's PATH`);
      return result;
    };

    // 1. Source.
    const shownUrl = redactUrl(request.repoUrl);
    log(`▸ Cloning ${shownUrl} (${request.commitSha ?? request.ref})`);
    const auth = tokenForGit(request.repoToken ?? null), gitEnv = { ...base, ...sandbox.gitEnv(), GIT_TERMINAL_PROMPT: '0', ...auth.env };
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

    // 2. Install, with the tool's store kept in the project's build cache.
    const cache = await ProjectBuildCache.open(this.options.cacheDir, request.projectName, log, sandbox.toolsDir);
    const install = await planInstall(appDir, repoDir);
    const toolStore = async (name: string): Promise<string | null> => {
      const dir = cache === null ? null : await cache.entry(name, log);
      if (dir !== null) await sandbox.handOver(dir);
      return dir;
    };
    const npmStore = await toolStore('npm');
    const buildEnv = withoutAws({
      ...base,
      ...request.env,
      ...(npmStore === null ? {} : npmCacheEnv(npmStore)),
      ...BUILD_ENV,
    });
    if ((await findExecutable(install.tool, buildEnv.PATH)) === null) {
      const why = install.lockfile === null ? 'there is no lockfile' : `${install.lockfile} needs it`;
      throw new BuildFailure(`${install.tool} is not installed on the build machine (${why}): ${installHint(install.tool)}`);
    }
    const runInstall = async (extraArgs: string[] = []): Promise<{ result: StepResult; warm: boolean }> => {
      const store = cache === null ? null : install.cacheEntry === 'npm' ? npmStore : await toolStore(install.cacheEntry);
      const cached = store === null ? { args: [], env: {} } : install.useCache(store);
      const label = [install.label, ...extraArgs].join(' ');
      log(RECIPE_LOG.install({ ...install, label }, install.lockfile !== null));
      const warm = store !== null && (await readdir(store).catch(() => [])).length > 0;
      const once = (): Promise<StepResult> => step(label, install.tool, [...install.args, ...extraArgs, ...cached.args], install.dir, { ...buildEnv, ...cached.env });
      let result = await once();
      if (result.exitCode !== 0 && warm && cache !== null && result.tail.some((line) => CACHE_TROUBLE.test(line))) {
        // A damaged store makes installs fail in odd ways; one retry from an empty store tells.
        log(`▸ ${label} failed with a warm cache; discarding the cache and trying once more`);
        await cache.discard(install.cacheEntry, log);
        result = await once();
      }
      return { result, warm };
    };
    const installStarted = Date.now();
    // npm rebuild writes into packages the server laid out from the store: they become the build's first.
    const npm = async (label: string, args: string[]): Promise<StepResult> => {
      await sandbox.handOver(join(install.dir, 'node_modules'), { recursive: true });
      return step(label, 'npm', args, install.dir, buildEnv);
    };
    const fromStore = install.tool === 'npm' && install.lockfile !== null && cache !== null
      ? await this.packageStores.install(cache, install.dir, buildEnv, npm, log)
      : { installed: false as const, storeAdd: null };
    if (!fromStore.installed) {
      const storeAdd = fromStore.storeAdd;
      // The store keeps packages as npm unpacks them, before their install scripts change them:
      // npm ci runs the scripts only after a copy of those the store lacks is put aside, as npm
      // rebuild does from the store (about half a second more, once per new scripted package).
      const scripted = storeAdd !== null && storeAdd.toPutAside.length > 0;
      const installed = await runInstall(scripted ? ['--ignore-scripts'] : []);
      if (installed.result.exitCode !== 0) throw new BuildFailure(stepFailureReason(install.label, installed.result));
      let keep: StoreAdd | null = storeAdd === null ? null : { ...storeAdd, unpackedAt: Date.now() };
      if (keep !== null && scripted) {
        keep = await this.packageStores.runInstallScripts(keep, join(scratch, 'pristine'), npm, log);
        if (keep === null) {
          const plain = await runInstall();
          if (plain.result.exitCode !== 0) throw new BuildFailure(stepFailureReason(install.label, plain.result));
        }
      }
      // Only a finished install: a stopped one leaves packages half unpacked.
      build.storeAdd = keep;
    }
    log(`▸ Installed in ${seconds(installStarted)}`);

    // 3. OpenNext build.
    if (!(await hasAny(appDir, OPEN_NEXT_CONFIG_NAMES))) {
      log(RECIPE_LOG.defaultConfig);
      try {
        // EXCL: never through a dangling link the repository planted there.
        await copyFile(this.options.defaultOpenNextConfig, join(appDir, DEFAULT_CONFIG_FILE), constants.COPYFILE_EXCL);
        await sandbox.handOver(join(appDir, DEFAULT_CONFIG_FILE));
      } catch (error) {
        throw new BuildFailure(`could not copy anchor's default open-next.config.ts from ${this.options.defaultOpenNextConfig}: ${errorMessage(error)}`);
      }
    }
    const binDirs = binDirsUpTo(appDir, repoDir);
    const openNext = await findExecutable(OPEN_NEXT_BUILD.bin, binDirs.join(delimiter));
    if (openNext === null) {
      throw new BuildFailure('open-next is not installed in the app: add it with "npm install --save-dev @opennextjs/aws" and push again');
    }
    if (cache !== null && (await cache.restoreNext(join(appDir, '.next'), log))) await sandbox.handOver(join(appDir, '.next'), { recursive: true });
    log(RECIPE_LOG.build);
    const env = { ...buildEnv, PATH: [...binDirs, buildEnv.PATH ?? ''].join(delimiter) };
    const buildStarted = Date.now();
    const command = await openNextCommand({ openNext, cache, scratch, path: env.PATH ?? '', log, handOver: (path, options) => sandbox.handOver(path, options) });
    const built = await step('OpenNext build', command.file, command.args, appDir, env);
    if (built.exitCode !== 0) throw new BuildFailure(stepFailureReason('OpenNext build', built));
    log(`▸ Built in ${seconds(buildStarted)}`);

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
    // A stop (or the timeout) that came in while the output was checked still wins.
    if (build.stopRequested || build.timedOut) throw new BuildStopped();
    const artifactDir = join(scratch, 'artifact');
    await rename(output, artifactDir);
    if (cache !== null) {
      const staged = join(scratch, 'next-cache');
      const nextCache = join(appDir, '.next', 'cache');
      if ((await isRealDirectory(join(appDir, '.next'))) && (await isRealDirectory(nextCache)) && (await rename(nextCache, staged).then(() => true, () => false))) {
        // Builds in memory: copying it to disk is half a second no deployment needs to wait for,
        // so it goes on while this one is stored and deployed. cleanup() waits for it.
        const { copying } = await cache.saveNext(staged, log);
        if (copying !== null) this.savingCaches.set(scratch, copying.finally(() => this.savingCaches.delete(scratch)));
      }
    }
    log(`▸ Build finished: ${commitSha.slice(0, 12)}`);
    return { ok: true, commitSha, commitMessage, output: { kind: 'directory', path: artifactDir } };
  }
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

/** Never pass AWS credentials or settings to a build: the local backend has no business with them. */
function withoutAws(env: Record<string, string>): Record<string, string> {
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
