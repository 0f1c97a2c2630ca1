import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { AnchorError } from '../../../core/errors.js';
import type { ArtifactInfo, FunctionHost, FunctionVersion } from '../../../core/ports/index.js';
import { prepareRuntimeDir, startHandlerProcess, type HandlerProcess, type StartHandlerInput } from './handler-process.js';
import { getFromFunction } from './function-socket.js';

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
  version: FunctionVersion;
  projectName: string;
  assetsDir: string;
  artifactDir: string;
  server: HandlerProcess;
  image: HandlerProcess;
  runtimeDir: string;
  /** Requests the edge has sent to this version and not yet finished. */
  inFlight: number;
  idle: Array<() => void>;
}

export interface EdgeRoute {
  deploymentId: string;
  revision: number;
  serverUrl: string;
  imageUrl: string;
  assetsDir: string;
  artifactDir: string;
  /** The edge calls this around each request so a version is never stopped mid-request. */
  enter(): () => void;
}

/**
 * Runs each deployment's OpenNext server and image handlers in child processes (the same bundle
 * would run on Lambda) and holds the routing table the edge reads. The version that was live
 * before the current one stays running, so a rollback to it is a pointer swap.
 */
export class LocalFunctionHost implements FunctionHost {
  private readonly versions = new Map<string, RunningVersion>();
  private readonly starting = new Map<string, Promise<RunningVersion>>();
  private readonly routes = new Map<string, { running: RunningVersion; revision: number; previous: string | null }>();

  constructor(
    private readonly options: {
      places: FunctionPlaces;
      edgePort: () => number;
      baseEnv: Record<string, string>;
      onLog?: (deploymentId: string, line: string) => void;
    },
  ) {}

  async publish(input: { projectName: string; deploymentId: string; artifact: ArtifactInfo; env: Record<string, string> }): Promise<FunctionVersion> {
    const existing = this.versions.get(input.deploymentId);
    if (existing) return existing.version;
    let pending = this.starting.get(input.deploymentId);
    if (!pending) {
      pending = this.start(input).finally(() => this.starting.delete(input.deploymentId));
      this.starting.set(input.deploymentId, pending);
    }
    return (await pending).version;
  }

  private async start(input: { projectName: string; deploymentId: string; artifact: ArtifactInfo; env: Record<string, string> }): Promise<RunningVersion> {
    const place = await this.options.places.forDeployment(input.projectName, input.deploymentId);
    const runtimeDir = place.runtimeDir;
    const dirs = await prepareRuntimeDir(input.artifact.location, runtimeDir);
    await place.prepared(runtimeDir);
    const env = {
      ...this.options.baseEnv,
      ...input.env,
      ANCHOR_RUNTIME: 'local',
      NEXT_TELEMETRY_DISABLED: '1',
    };
    const log = (line: string) => this.options.onLog?.(input.deploymentId, line);
    // Both start at once; if one fails, the other is stopped again.
    const sandboxed = { sandbox: place.sandbox, ...(place.childEntry ? { childEntry: place.childEntry } : {}) };
    const socket = (kind: string) => join(place.socketDir, `${input.deploymentId}.${kind}`);
    const [serverStart, imageStart] = await Promise.allSettled([
      startHandlerProcess({ bundleDir: dirs.serverDir, kind: 'server', env, onLog: log, socketPath: socket('server'), ...sandboxed }),
      startHandlerProcess({ bundleDir: dirs.imageDir, kind: 'image', env, onLog: log, socketPath: socket('image'), ...sandboxed }),
    ]);
    if (serverStart.status === 'rejected' || imageStart.status === 'rejected') {
      await Promise.all([serverStart, imageStart].map((s) => (s.status === 'fulfilled' ? s.value.stop(0) : undefined)));
      throw serverStart.status === 'rejected' ? serverStart.reason : (imageStart as PromiseRejectedResult).reason;
    }
    const server = serverStart.value;
    const image = imageStart.value;
    const running: RunningVersion = {
      version: { deploymentId: input.deploymentId, serverUrl: server.url, imageUrl: image.url },
      projectName: input.projectName,
      assetsDir: join(input.artifact.location, 'assets'),
      artifactDir: input.artifact.location,
      server,
      image,
      runtimeDir,
      inFlight: 0,
      idle: [],
    };
    this.versions.set(input.deploymentId, running);
    return running;
  }

  async smoke(version: FunctionVersion, projectName: string): Promise<void> {
    const status = await getFromFunction(version.serverUrl, '/', { host: `${projectName}.localhost:${this.options.edgePort()}`, 'x-anchor-smoke': '1' }, 30_000);
    if (status >= 500) {
      throw new AnchorError({ code: 'SMOKE_FAILED', kind: 'external', message: `GET / answered ${status}` });
    }
  }

  async activate(projectName: string, version: FunctionVersion, revision: number): Promise<void> {
    const running = this.versions.get(version.deploymentId);
    if (!running) throw new AnchorError({ code: 'VERSION_NOT_RUNNING', kind: 'internal', message: `${version.deploymentId} is not running; publish it first.` });
    const current = this.routes.get(projectName);
    if (current && current.revision >= revision) return;
    const previous = current && current.running.version.deploymentId !== version.deploymentId ? current.running.version.deploymentId : (current?.previous ?? null);
    this.routes.set(projectName, { running, revision, previous });
    // Keep the live and the previous version; let older ones go once their requests finish.
    for (const [id, other] of this.versions) {
      if (other.projectName === projectName && id !== version.deploymentId && id !== previous) void this.stop(id);
    }
  }

  async release(_projectName: string, deploymentId: string): Promise<void> {
    const routed = [...this.routes.values()].some((r) => r.running.version.deploymentId === deploymentId || r.previous === deploymentId);
    if (!routed) await this.stop(deploymentId);
  }

  /** What the edge serves for a project now, or null when nothing is live there. */
  route(projectName: string): EdgeRoute | null {
    const entry = this.routes.get(projectName);
    if (!entry) return null;
    const running = entry.running;
    return {
      deploymentId: running.version.deploymentId,
      revision: entry.revision,
      serverUrl: running.version.serverUrl,
      imageUrl: running.version.imageUrl,
      assetsDir: running.assetsDir,
      artifactDir: running.artifactDir,
      enter: () => {
        running.inFlight++;
        return () => {
          running.inFlight--;
          if (running.inFlight === 0) for (const wake of running.idle.splice(0)) wake();
        };
      },
    };
  }

  runningDeployments(): string[] {
    return [...this.versions.keys()];
  }

  /** A removed project: its site stops being served and every version of it stops. */
  async forgetProject(projectName: string): Promise<void> {
    this.routes.delete(projectName);
    await Promise.all([...this.versions].filter(([, running]) => running.projectName === projectName).map(([id]) => this.stop(id)));
  }

  private async stop(deploymentId: string): Promise<void> {
    const running = this.versions.get(deploymentId);
    if (!running) return;
    this.versions.delete(deploymentId);
    if (running.inFlight > 0) await new Promise<void>((resolve) => running.idle.push(resolve));
    await Promise.all([running.server.stop(10_000), running.image.stop(10_000)]);
    await rm(running.runtimeDir, { recursive: true, force: true }).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.routes.clear();
    await Promise.all([...this.versions.keys()].map((id) => this.stop(id)));
  }
}
