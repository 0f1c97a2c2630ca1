import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { AnchorError, errorMessage } from '../../../core/errors.js';
import { maskSecrets } from '../../../core/log-writer.js';
import type { CpuArch } from '../../../core/opennext-output.js';
import type { FunctionHost, FunctionVersion, PublishInput, RuntimeLogLine } from '../../../core/ports/index.js';
import { prepareRuntimeDir, startHandlerProcess, type HandlerKind, type StartHandlerInput } from './handler-process.js';
import { getFromFunction } from './function-socket.js';
import { describeTransition, describeCrash } from './handler-narration.js';
import { DEFAULT_SUPERVISION, SupervisedHandler, type HandlerCrash, type HandlerStatus, type Lease, type SupervisionPolicy, type Unavailable } from './supervised-handler.js';

/** Where a deployment's functions run and how they start (its project's sandbox: sandbox/function-places.ts). */
export interface FunctionPlaces {
  forDeployment(projectName: string, deploymentId: string): Promise<FunctionPlace>;
}

export interface FunctionPlace {
  /** The deployment's runtime folder, laid out from its artifact. */
  runtimeDir: string;
  /** Where its processes' sockets go: a folder only the server and the project enter. */
  socketDir: string;
  /** Called once the runtime folder is laid out: hands the project what it writes (the ISR cache). */
  prepared(runtimeDir: string): Promise<void>;
  sandbox: StartHandlerInput['sandbox'];
  childEntry?: string;
}

interface RunningVersion {
  deploymentId: string;
  projectName: string;
  assetsDir: string;
  artifactDir: string;
  runtimeDir: string;
  handlers: Record<HandlerKind, SupervisedHandler>;
  /** Took the project's traffic at some time. Until then it belongs to the deploy or rollback that published it. */
  routed: boolean;
}

export interface EdgeRoute {
  deploymentId: string;
  revision: number;
  assetsDir: string;
  artifactDir: string;
  /** A process of this version for one request (started first if it was idle), or why there is none now. */
  acquire(kind: HandlerKind): Promise<Lease | Unavailable>;
}

/** What the host reports as it runs; the server writes it to the runtime logs, its log and the store. */
export interface FunctionHostEvents {
  /** A line a function printed, or anchor's own line about it; secrets already masked. */
  log(deploymentId: string, line: RuntimeLogLine): void;
  status(deploymentId: string, kind: HandlerKind, status: HandlerStatus): void;
  crash(deploymentId: string, projectName: string, crash: HandlerCrash): void;
  /** The version's processes are stopped for good (retired, replaced, or the host closed). */
  forget(deploymentId: string): void;
}

const STOP_GRACE_MS = 10_000;

/**
 * Runs each deployment's OpenNext server and image handlers in supervised child processes (the
 * same bundle would run on Lambda) and holds the routing table the edge reads. The version that
 * was live before the current one stays ready, so a rollback to it is a pointer swap. Processes
 * idle for `idleStopMs` are stopped and start again with the next request; a crashed one restarts.
 */
export class LocalFunctionHost implements FunctionHost {
  /** The handlers run on this machine. */
  readonly cpu: CpuArch = process.arch === 'arm64' ? 'arm64' : 'x64';
  private readonly versions = new Map<string, RunningVersion>();
  private readonly registering = new Map<string, Promise<RunningVersion>>();
  private readonly routes = new Map<string, { running: RunningVersion; revision: number; previous: string | null }>();
  private readonly sweeper: NodeJS.Timeout | null;
  private readonly now: () => number;

  constructor(
    private readonly options: {
      places: FunctionPlaces;
      edgePort: () => number;
      baseEnv: Record<string, string>;
      /** Stop a function after this long without requests; 0 keeps it running. */
      idleStopMs?: number;
      supervision?: SupervisionPolicy;
      events?: Partial<FunctionHostEvents>;
      now?: () => number;
    },
  ) {
    this.now = options.now ?? Date.now;
    const idleMs = options.idleStopMs ?? 0;
    this.sweeper = idleMs > 0 ? setInterval(() => this.stopIdle(idleMs), Math.min(30_000, Math.max(50, idleMs / 4))) : null;
    this.sweeper?.unref();
  }

  async publish(input: PublishInput): Promise<FunctionVersion> {
    let running = this.versions.get(input.deploymentId);
    const isNew = !running;
    if (!running) {
      let pending = this.registering.get(input.deploymentId);
      if (!pending) {
        pending = this.register(input).finally(() => this.registering.delete(input.deploymentId));
        this.registering.set(input.deploymentId, pending);
      }
      running = await pending;
    }
    if (input.start === 'on-demand') {
      // Without idle stops nothing would ever stop them: bring them up now rather than on a visitor's request.
      if (!this.options.idleStopMs) void this.startAll(running).catch(() => undefined);
      return this.versionOf(running);
    }
    try {
      await this.startAll(running);
    } catch (error) {
      // A version that cannot start is not kept; one already kept (a rollback target) stays as it was.
      if (isNew && !this.isRouted(input.deploymentId)) await this.stop(input.deploymentId, 'it could not start');
      throw error;
    }
    return this.versionOf(running);
  }

  private async register(input: PublishInput): Promise<RunningVersion> {
    const place = await this.options.places.forDeployment(input.projectName, input.deploymentId);
    const runtimeDir = place.runtimeDir;
    const dirs = await prepareRuntimeDir(input.artifact.location, runtimeDir);
    await place.prepared(runtimeDir);
    const sandboxed = { sandbox: place.sandbox, ...(place.childEntry ? { childEntry: place.childEntry } : {}) };
    const socketPath = (kind: HandlerKind) => join(place.socketDir, `${input.deploymentId}.${kind}`);
    const env = { ...this.options.baseEnv, ...input.env, ANCHOR_RUNTIME: 'local', NEXT_TELEMETRY_DISABLED: '1' };
    const secrets = input.secretValues ?? [];
    const events = this.options.events;
    const handler = (kind: HandlerKind, bundleDir: string) => {
      let last: HandlerStatus | null = null;
      const note = (text: string) => this.note(input.deploymentId, text);
      return new SupervisedHandler({
        kind,
        policy: this.options.supervision ?? DEFAULT_SUPERVISION,
        now: this.now,
        start: (onLog) => startHandlerProcess({ bundleDir, kind, env, onLog, socketPath: socketPath(kind), ...sandboxed }),
        onLog: (line, stream) => events?.log?.(input.deploymentId, { at: new Date(this.now()).toISOString(), source: kind, stream, text: maskSecrets(line, secrets) }),
        onCrash: (crash) => {
          const masked = { ...crash, reason: maskSecrets(crash.reason, secrets), lastLines: crash.lastLines.map((line) => maskSecrets(line, secrets)) };
          for (const text of describeCrash(masked)) note(text);
          events?.crash?.(input.deploymentId, input.projectName, masked);
        },
        onStatus: (status) => {
          const change = describeTransition(kind, last, status, this.options.idleStopMs ?? 0);
          if (change) note(change);
          last = status;
          events?.status?.(input.deploymentId, kind, status);
        },
      });
    };
    const running: RunningVersion = {
      deploymentId: input.deploymentId,
      projectName: input.projectName,
      assetsDir: join(input.artifact.location, 'assets'),
      artifactDir: input.artifact.location,
      runtimeDir,
      handlers: { server: handler('server', dirs.serverDir), image: handler('image', dirs.imageDir) },
      routed: false,
    };
    this.versions.set(input.deploymentId, running);
    for (const kind of ['server', 'image'] as const) events?.status?.(input.deploymentId, kind, running.handlers[kind].status());
    return running;
  }

  private async startAll(running: RunningVersion): Promise<void> {
    const started = await Promise.allSettled([running.handlers.server.start(), running.handlers.image.start()]);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private versionOf(running: RunningVersion): FunctionVersion {
    return { deploymentId: running.deploymentId, serverUrl: running.handlers.server.url, imageUrl: running.handlers.image.url };
  }

  async smoke(version: FunctionVersion, projectName: string): Promise<void> {
    const running = this.versions.get(version.deploymentId);
    if (!running) throw new AnchorError({ code: 'VERSION_NOT_RUNNING', kind: 'internal', message: `${version.deploymentId} is not running; publish it first.` });
    const lease = await running.handlers.server.acquire();
    if ('unavailable' in lease) throw new AnchorError({ code: 'SMOKE_FAILED', kind: 'external', message: `the server function is ${lease.unavailable}` });
    try {
      const status = await getFromFunction(lease.url, '/', { host: `${projectName}.localhost:${this.options.edgePort()}`, 'x-anchor-smoke': '1' }, 30_000);
      if (status >= 500) {
        throw new AnchorError({ code: 'SMOKE_FAILED', kind: 'external', message: `GET / answered ${status}` });
      }
    } finally {
      lease.release();
    }
  }

  async activate(projectName: string, version: FunctionVersion, revision: number): Promise<void> {
    const current = this.routes.get(projectName);
    // Older than what is applied (two deploys finishing out of order): ignored, whether or not its version still runs.
    if (current && current.revision >= revision) return;
    const running = this.versions.get(version.deploymentId);
    if (!running) throw new AnchorError({ code: 'VERSION_NOT_RUNNING', kind: 'internal', message: `${version.deploymentId} is not running; publish it first.` });
    const previous = current && current.running.deploymentId !== version.deploymentId ? current.running.deploymentId : (current?.previous ?? null);
    running.routed = true;
    this.routes.set(projectName, { running, revision, previous });
    // Keep the live and the previous version; let older ones go once their requests finish. One
    // that never took traffic is left to the deploy or rollback that published it (it activates
    // or releases it), so a rollback racing a deploy never finds its target stopped.
    for (const [id, other] of this.versions) {
      if (other.projectName === projectName && other.routed && id !== version.deploymentId && id !== previous) void this.stop(id, 'it is neither live nor the rollback target any more');
    }
  }

  async release(_projectName: string, deploymentId: string): Promise<void> {
    if (!this.isRouted(deploymentId)) await this.stop(deploymentId, 'it was released');
  }

  /** Locally a version is its processes over the stored artifact: retention removes the artifact, this stops them. */
  async remove(_projectName: string, deploymentId: string): Promise<void> {
    if (!this.isRouted(deploymentId)) await this.stop(deploymentId, 'retention dropped it');
  }

  /** What the edge serves for a project now, or null when nothing is live there. */
  route(projectName: string): EdgeRoute | null {
    const entry = this.routes.get(projectName);
    if (!entry) return null;
    const running = entry.running;
    return {
      deploymentId: running.deploymentId,
      revision: entry.revision,
      assetsDir: running.assetsDir,
      artifactDir: running.artifactDir,
      acquire: (kind) => running.handlers[kind].acquire(),
    };
  }

  /** The versions this host keeps (running or ready to start on demand). */
  runningDeployments(): string[] {
    return [...this.versions.keys()];
  }

  /** Each kept version's processes, as `deployments ls` would describe them. */
  statuses(): Map<string, Record<HandlerKind, HandlerStatus>> {
    return new Map([...this.versions].map(([id, v]) => [id, { server: v.handlers.server.status(), image: v.handlers.image.status() }]));
  }

  /** A removed project: its site stops being served and every version of it stops. */
  async forgetProject(projectName: string): Promise<void> {
    this.routes.delete(projectName);
    await Promise.all([...this.versions].filter(([, running]) => running.projectName === projectName).map(([id]) => this.stop(id, 'its project was removed')));
  }

  private isRouted(deploymentId: string): boolean {
    return [...this.routes.values()].some((r) => r.running.deploymentId === deploymentId || r.previous === deploymentId);
  }

  private stopIdle(idleMs: number): void {
    for (const running of this.versions.values()) {
      for (const handler of Object.values(running.handlers)) {
        void handler.stopIfIdle(idleMs).catch((error: unknown) => this.note(running.deploymentId, `Stopping the idle ${handler.kind} function failed: ${errorMessage(error)}`));
      }
    }
  }

  /** Stops a version for good: its requests in flight finish first; its runtime folder goes. */
  private async stop(deploymentId: string, why: string): Promise<void> {
    const running = this.versions.get(deploymentId);
    if (!running) return;
    this.versions.delete(deploymentId);
    await Promise.all([running.handlers.server.close(STOP_GRACE_MS), running.handlers.image.close(STOP_GRACE_MS)]);
    await rm(running.runtimeDir, { recursive: true, force: true }).catch(() => undefined);
    this.note(deploymentId, `The functions were stopped: ${why}.`);
    this.options.events?.forget?.(deploymentId);
  }

  private note(deploymentId: string, text: string): void {
    this.options.events?.log?.(deploymentId, { at: new Date(this.now()).toISOString(), source: 'anchor', stream: 'stderr', text });
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.routes.clear();
    await Promise.all([...this.versions.keys()].map((id) => this.stop(id, 'anchor server is stopping')));
  }
}
