import { AnchorError } from '../../../src/core/errors.js';
import type { CpuArch } from '../../../src/core/opennext-output.js';
import type { ArtifactInfo, FunctionHost, FunctionVersion, PublishInput, PublishStats, StaticHost } from '../../../src/core/ports/index.js';
import { sizeOf, textOf, type FileContent, type MemoryArtifacts } from './memory-artifacts.js';

/** Each deployment's assets under `<project>/<deploymentId>/`, and per project the prefix its site serves. */
export class MemoryStaticHost implements StaticHost {
  private readonly prefixes = new Map<string, Map<string, FileContent>>();
  private readonly live = new Map<string, string>();

  constructor(private readonly artifacts: MemoryArtifacts) {}

  async publish(projectName: string, deploymentId: string, artifact: ArtifactInfo): Promise<PublishStats> {
    const assets = [...this.artifacts.filesAt(artifact.location)].filter(([path]) => path.startsWith('assets/'));
    if (assets.length === 0) throw new AnchorError({ code: 'ASSETS_MISSING', kind: 'external', message: 'the build output has no assets directory' });
    const prefix = this.prefixes.get(`${projectName}/${deploymentId}`) ?? new Map<string, FileContent>();
    let uploaded = 0;
    for (const [path, content] of assets) {
      const key = path.slice('assets/'.length);
      const present = prefix.get(key);
      if (present !== undefined && sizeOf(present) === sizeOf(content) && textOf(present) === textOf(content)) continue;
      prefix.set(key, content);
      uploaded += 1;
    }
    this.prefixes.set(`${projectName}/${deploymentId}`, prefix);
    return { files: assets.length, uploaded, skipped: assets.length - uploaded };
  }

  async activate(projectName: string, deploymentId: string): Promise<void> {
    this.live.set(projectName, deploymentId);
  }

  /** A dropped deployment's prefix goes, unless the site serves it. */
  async remove(projectName: string, artifact: ArtifactInfo): Promise<void> {
    if (this.live.get(projectName) !== artifact.deploymentId) this.prefixes.delete(`${projectName}/${artifact.deploymentId}`);
  }

  /** What the project's site answers for a static path now; null for nothing. */
  served(projectName: string, path: string): string | null {
    const live = this.live.get(projectName);
    return live === undefined ? null : this.published(projectName, live, path);
  }

  /** A file under a deployment's own prefix; null when absent. */
  published(projectName: string, deploymentId: string, path: string): string | null {
    const content = this.prefixes.get(`${projectName}/${deploymentId}`)?.get(path);
    return content === undefined ? null : textOf(content);
  }
}

interface RunningVersion {
  version: FunctionVersion;
  projectName: string;
  env: Record<string, string>;
}

/** A gate a test holds a step at: `reached` once the step waits there, `open()` lets it go on. */
export interface Gate {
  reached: Promise<void>;
  open(): void;
}

/**
 * Function versions in memory. A test decides how each deployment behaves: `failPublish` (its
 * functions do not start), `answerSmoke` (the status its `GET /` answers), `holdSmoke` (its smoke
 * request waits until the test opens the gate, so something else can happen meanwhile).
 */
export class MemoryFunctionHost implements FunctionHost {
  private readonly versions = new Map<string, RunningVersion>();
  private readonly routes = new Map<string, { deploymentId: string; revision: number }>();
  private readonly publishFailures = new Map<string, string>();
  private readonly smokeStatus = new Map<string, number>();
  private readonly smokeGates = new Map<string, { wait: Promise<void>; arrived(): void }>();

  /** Functions in memory run on no CPU in particular: any bundle fits. */
  readonly cpu: CpuArch = process.arch === 'arm64' ? 'arm64' : 'x64';

  constructor(private readonly artifacts: MemoryArtifacts) {}

  async publish(input: PublishInput): Promise<FunctionVersion> {
    const existing = this.versions.get(input.deploymentId);
    if (existing) return { ...existing.version };
    this.artifacts.filesAt(input.artifact.location);
    const failure = this.publishFailures.get(input.deploymentId);
    if (failure !== undefined) throw new AnchorError({ code: 'HANDLER_START_FAILED', kind: 'failed', message: failure });
    const base = `memory://functions/${input.projectName}/${input.deploymentId}`;
    const version: FunctionVersion = { deploymentId: input.deploymentId, serverUrl: `${base}/server`, imageUrl: `${base}/image` };
    this.versions.set(input.deploymentId, { version, projectName: input.projectName, env: { ...input.env } });
    return { ...version };
  }

  async smoke(version: FunctionVersion, _projectName: string): Promise<void> {
    const held = this.smokeGates.get(version.deploymentId);
    if (held) {
      this.smokeGates.delete(version.deploymentId);
      held.arrived();
      await held.wait;
    }
    if (!this.versions.has(version.deploymentId)) throw new AnchorError({ code: 'SMOKE_FAILED', kind: 'external', message: `${version.deploymentId} is not running` });
    const status = this.smokeStatus.get(version.deploymentId) ?? 200;
    if (status >= 500) throw new AnchorError({ code: 'SMOKE_FAILED', kind: 'external', message: `GET / answered ${status}` });
  }

  async activate(projectName: string, version: FunctionVersion, revision: number): Promise<void> {
    if (!this.versions.has(version.deploymentId)) throw new AnchorError({ code: 'VERSION_NOT_RUNNING', kind: 'internal', message: `${version.deploymentId} is not running; publish it first.` });
    const current = this.routes.get(projectName);
    if (current && current.revision >= revision) return;
    this.routes.set(projectName, { deploymentId: version.deploymentId, revision });
  }

  async release(projectName: string, deploymentId: string): Promise<void> {
    if (this.routes.get(projectName)?.deploymentId !== deploymentId) this.versions.delete(deploymentId);
  }

  /** Like a Lambda version: gone for good, except the one traffic goes to. */
  async remove(projectName: string, deploymentId: string): Promise<void> {
    if (this.routes.get(projectName)?.deploymentId !== deploymentId) this.versions.delete(deploymentId);
  }

  failPublish(deploymentId: string, message: string): void {
    this.publishFailures.set(deploymentId, message);
  }

  answerSmoke(deploymentId: string, status: number): void {
    this.smokeStatus.set(deploymentId, status);
  }

  holdSmoke(deploymentId: string): Gate {
    let arrived!: () => void;
    let open!: () => void;
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    const wait = new Promise<void>((resolve) => (open = resolve));
    this.smokeGates.set(deploymentId, { wait, arrived });
    return { reached, open };
  }

  /** The deployment the project's traffic goes to; null before any activation. */
  serving(projectName: string): string | null {
    return this.routes.get(projectName)?.deploymentId ?? null;
  }

  isRunning(deploymentId: string): boolean {
    return this.versions.has(deploymentId);
  }

  /** The variables a running version's server has. */
  envOf(deploymentId: string): Record<string, string> | null {
    const running = this.versions.get(deploymentId);
    return running ? { ...running.env } : null;
  }
}
