import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa as realExeca } from 'execa';
import type { BuildEnd, BuildRequest, Builder, BuildStatus } from '../../../core/ports/builder.js';
import { errorMessage } from '../../../core/errors.js';
import { RECIPE_LOG } from '../../../core/build-recipe.js';
import { diskFullReason } from '../../../core/failure-reasons.js';
import { plural } from '../../../lib/plural.js';
import { storageTrouble } from '../../../lib/storage-errors.js';
import { BuildFailure, BuildStopped } from './build-failure.js';
import { BuildProcesses, killOrphans, type Execa } from './build-processes.js';
import { PackageStoreInstalls } from './package-store-installs.js';
import { BuildSandbox, type BuildSandboxes } from './build-sandbox.js';
import { checkOutSource, installDependencies, keepOutput, openNextBuild, stepRunner, withoutAws, type BuildState, type StepsContext } from './build-steps.js';

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
  /** Resolves when the next step may start its process (anchor server: once a webhook burst is answered). */
  beforeStep?: () => Promise<void>;
}

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
      return { ok: false, stopped: false, reason, commitSha: build.commitSha, checkedOut: build.checkedOut, ...(error instanceof BuildFailure && error.repository ? { repository: true } : {}) };
    } finally {
      clearTimeout(timer);
      if (build.storeAdd !== null) await this.packageStores.stage(buildId, `${scratch}-modules`, build.storeAdd, succeeded);
      // After a success the scratch dir stays for the caller to store its artifact, then cleanup()
      // removes all of it: removing the checkout's thousands of files first (a tenth of a second
      // or more) would only delay the deployment.
      for (const path of [...(succeeded ? [] : [scratch]), ...(build.tmpDir ? [build.tmpDir] : [])]) {
        await rm(path, { recursive: true, force: true }).catch(() => undefined);
      }
    }
  }

  private async pipeline(build: BuildState, scratch: string, log: (line: string) => void): Promise<BuildEnd> {
    // The build's TMPDIR is outside the platform's folders: OpenNext runs `npm install sharp` in a
    // temp folder, and npm installs into the first folder upwards with a package.json or
    // node_modules, so a temp folder under the operator's home (which often has a package.json)
    // would catch it. Under the system temp folder nothing does.
    const tmpDir = await mkdtemp(join(this.options.tempRoot ?? tmpdir(), 'anchor-build-'));
    build.tmpDir = tmpDir;
    const sandbox = await BuildSandbox.open(this.options.sandboxes, { projectName: build.request.projectName, repoUrl: build.request.repoUrl, scratch, tmpDir });
    build.processes.ownUid = sandbox.uidWithoutSandbox;
    const ctx: StepsContext = {
      build,
      scratch,
      repoDir: join(scratch, 'repo'),
      log,
      step: stepRunner(build, sandbox, log, this.options.beforeStep),
      sandbox,
      base: withoutAws({ ...this.options.baseEnv, TMPDIR: sandbox.tmpDir }),
      cacheDir: this.options.cacheDir,
      defaultOpenNextConfig: this.options.defaultOpenNextConfig,
      packageStores: this.packageStores,
    };
    const { commitSha, commitMessage, appDir } = await checkOutSource(ctx);
    const { cache, buildEnv } = await installDependencies(ctx, appDir);
    const output = await openNextBuild(ctx, appDir, cache, buildEnv);
    const { artifactDir, copying } = await keepOutput(ctx, appDir, output, cache);
    if (copying !== null) this.savingCaches.set(scratch, copying.finally(() => this.savingCaches.delete(scratch)));
    log(`▸ Build finished: ${commitSha.slice(0, 12)}`);
    return { ok: true, commitSha, commitMessage, output: { kind: 'directory', path: artifactDir } };
  }
}
