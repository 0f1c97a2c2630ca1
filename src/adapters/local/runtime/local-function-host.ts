import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { AnchorError } from '../../../core/errors.js';
import type { ArtifactInfo, FunctionHost, FunctionVersion } from '../../../core/ports/index.js';
import { prepareRuntimeDir, startHandlerProcess, type HandlerProcess } from './handler-process.js';

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
  /** Took the project's traffic at some time. Until then it belongs to the deploy or rollback that published it. */
  routed: boolean;
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
      runtimeDir: string;
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
    const runtimeDir = join(this.options.runtimeDir, input.deploymentId);
    const dirs = await prepareRuntimeDir(input.artifact.location, runtimeDir);
    const env = {
      ...this.options.baseEnv,
      ...input.env,
      ANCHOR_RUNTIME: 'local',
      NEXT_TELEMETRY_DISABLED: '1',
    };
    const log = (line: string) => this.options.onLog?.(input.deploymentId, line);
    // Both start at once; if one fails, the other is stopped again.
    const [serverStart, imageStart] = await Promise.allSettled([
      startHandlerProcess({ bundleDir: dirs.serverDir, kind: 'server', env, onLog: log }),
      startHandlerProcess({ bundleDir: dirs.imageDir, kind: 'image', env, onLog: log }),
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
      routed: false,
    };
    this.versions.set(input.deploymentId, running);
    return running;
  }

  async smoke(version: FunctionVersion, projectName: string): Promise<void> {
    const response = await fetch(`${version.serverUrl}/`, { headers: { host: `${projectName}.localhost:${this.options.edgePort()}`, 'x-anchor-smoke': '1' }, signal: AbortSignal.timeout(30_000) });
    await response.arrayBuffer();
    if (response.status >= 500) {
      throw new AnchorError({ code: 'SMOKE_FAILED', kind: 'external', message: `GET / answered ${response.status}` });
    }
  }

  async activate(projectName: string, version: FunctionVersion, revision: number): Promise<void> {
    const current = this.routes.get(projectName);
    // Older than what is applied (two deploys finishing out of order): ignored, whether or not its version still runs.
    if (current && current.revision >= revision) return;
    const running = this.versions.get(version.deploymentId);
    if (!running) throw new AnchorError({ code: 'VERSION_NOT_RUNNING', kind: 'internal', message: `${version.deploymentId} is not running; publish it first.` });
    const previous = current && current.running.version.deploymentId !== version.deploymentId ? current.running.version.deploymentId : (current?.previous ?? null);
    running.routed = true;
    this.routes.set(projectName, { running, revision, previous });
    // Keep the live and the previous version; let older ones go once their requests finish. One
    // that never took traffic is left to the deploy or rollback that published it (it activates
    // or releases it), so a rollback racing a deploy never finds its target stopped.
    for (const [id, other] of this.versions) {
      if (other.projectName === projectName && other.routed && id !== version.deploymentId && id !== previous) void this.stop(id);
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
