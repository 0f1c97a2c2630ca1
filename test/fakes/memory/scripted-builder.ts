import { createHash, randomUUID } from 'node:crypto';
import type { BuildEnd, Builder, BuildRequest, BuildStatus } from '../../../src/core/ports/builder.js';
import type { FileContent, MemoryBuildOutputs } from './memory-artifacts.js';

/** A well-formed OpenNext output (server function, image function with sharp, assets); `faults` break one part. */
export function openNextOutput(marker: string, faults: { noSharp?: boolean; noAssets?: boolean; serverBytes?: number } = {}): Record<string, FileContent> {
  return {
    'open-next.output.json': JSON.stringify({ origins: { default: { type: 'function', handler: 'index.handler', bundle: '.open-next/server-functions/default' } } }),
    'server-functions/default/index.mjs': `export const handler = () => ${JSON.stringify(marker)};`,
    ...(faults.serverBytes === undefined ? {} : { 'server-functions/default/node_modules/big/data.bin': { size: faults.serverBytes } }),
    'image-optimization-function/index.mjs': 'export const handler = () => "image";',
    ...(faults.noSharp ? {} : { 'image-optimization-function/node_modules/sharp/package.json': '{"name":"sharp"}' }),
    ...(faults.noAssets ? {} : { [`assets/_next/static/${marker}/app.js`]: `console.log(${JSON.stringify(marker)})`, 'assets/logo.txt': `logo of ${marker}` }),
  };
}

export type BuildState = 'running' | 'succeeded' | 'failed' | 'stopped';

/** One build the scripted builder runs: the test ends it, or a `stop` does. */
export class ScriptedBuild {
  state: BuildState = 'running';
  /** How many times `stop` was called for it, before or after it ended. */
  stops = 0;
  readonly ended: Promise<BuildEnd>;
  private resolveEnd!: (end: BuildEnd) => void;

  constructor(
    readonly buildId: string,
    readonly request: BuildRequest,
    private readonly outputs: MemoryBuildOutputs,
  ) {
    this.ended = new Promise((resolve) => (this.resolveEnd = resolve));
  }

  get artifactDir(): string {
    return `memory://builds/${this.buildId}/artifact`;
  }

  /** The commit it builds: the one asked for, else a stand-in for the head of the ref. */
  get commitSha(): string {
    return this.request.commitSha ?? createHash('sha1').update(`${this.request.ref}:${this.buildId}`).digest('hex');
  }

  private checkedOut = false;

  /** The commit is checked out: the core may now supersede older builds (a real builder says so after git checkout). */
  checkOut(): void {
    if (this.checkedOut || this.state !== 'running') return;
    this.checkedOut = true;
    this.request.onCheckedOut?.(this.commitSha);
  }

  print(...lines: string[]): void {
    for (const line of lines) this.request.onLine(line);
  }

  /**
   * Ends it `ok` with an output: a sound one unless given, none at all with `files: null` (a build
   * that reports success but wrote nothing where it says). False when it had ended already.
   */
  succeed(options: { files?: Record<string, FileContent> | null; commitMessage?: string | null } = {}): boolean {
    if (this.state !== 'running') return false;
    this.checkOut();
    if (options.files !== null) this.outputs.write(this.artifactDir, options.files ?? openNextOutput(this.request.deploymentId));
    return this.end('succeeded', { ok: true, commitSha: this.commitSha, commitMessage: options.commitMessage ?? `Commit ${this.commitSha.slice(0, 7)}`, output: { kind: 'directory', path: this.artifactDir } });
  }

  fail(reason: string): boolean {
    return this.end('failed', { ok: false, stopped: false, reason, commitSha: this.commitSha, checkedOut: this.checkedOut });
  }

  stop(): void {
    this.stops += 1;
    this.end('stopped', { ok: false, stopped: true, reason: 'build stopped before it finished', commitSha: this.request.commitSha, checkedOut: this.checkedOut });
  }

  private end(state: BuildState, end: BuildEnd): boolean {
    if (this.state !== 'running') return false;
    this.state = state;
    this.resolveEnd(end);
    return true;
  }
}

/**
 * A Builder whose builds end when the test says so (`succeed`, `fail`), or when stopped. Like the
 * local builder it returns `ended`; its output goes to the in-memory build outputs, where
 * Artifacts reads it and `cleanup` removes it.
 */
export class ScriptedBuilder implements Builder {
  readonly builds: ScriptedBuild[] = [];
  private readonly refusals = new Map<string, Error>();
  private readonly waiting: Array<{ deploymentId: string; resolve(build: ScriptedBuild): void }> = [];

  constructor(private readonly outputs: MemoryBuildOutputs) {}

  private readonly heldCheckouts = new Set<string>();

  /** The next build of this deployment does not check its commit out until the test calls `checkOut`. */
  holdCheckout(deploymentId: string): void {
    this.heldCheckouts.add(deploymentId);
  }

  /** The next start for this deployment throws, as a builder that cannot start a build does. */
  refuse(deploymentId: string, error = new Error('the build machine is out of disk space')): void {
    this.refusals.set(deploymentId, error);
  }

  async start(request: BuildRequest): Promise<{ buildId: string; ended: Promise<BuildEnd> }> {
    const refusal = this.refusals.get(request.deploymentId);
    if (refusal) {
      this.refusals.delete(request.deploymentId);
      throw refusal;
    }
    const build = new ScriptedBuild(`build-${randomUUID()}`, request, this.outputs);
    this.builds.push(build);
    // Checked out right after it starts, unless the test holds it (a commit that is not there yet).
    if (!this.heldCheckouts.delete(request.deploymentId)) queueMicrotask(() => build.checkOut());
    for (const waiter of this.waiting.filter((w) => w.deploymentId === request.deploymentId)) {
      this.waiting.splice(this.waiting.indexOf(waiter), 1);
      waiter.resolve(build);
    }
    return { buildId: build.buildId, ended: build.ended };
  }

  async stop(buildId: string): Promise<void> {
    this.builds.find((b) => b.buildId === buildId)?.stop();
  }

  /** Like the local builder: a running build is known; an ended one's end went to its `ended`. */
  async status(input: { deploymentId: string; buildId: string | null }): Promise<BuildStatus> {
    const build = this.builds.find((b) => b.buildId === input.buildId && b.state === 'running');
    return build ? { state: 'running', buildId: build.buildId } : { state: 'unknown' };
  }

  /** Builds get their variables in the request only; nothing is kept to forget. */
  async forgetSecret(): Promise<void> {}

  async cleanup(buildId: string): Promise<void> {
    const build = this.builds.find((b) => b.buildId === buildId);
    if (build) this.outputs.remove(build.artifactDir);
  }

  /** The deployment's build that is running, or else the next one that starts. */
  started(deploymentId: string): Promise<ScriptedBuild> {
    const build = this.builds.find((b) => b.request.deploymentId === deploymentId && b.state === 'running');
    if (build) return Promise.resolve(build);
    return new Promise((resolve) => this.waiting.push({ deploymentId, resolve }));
  }

  of(deploymentId: string): ScriptedBuild[] {
    return this.builds.filter((b) => b.request.deploymentId === deploymentId);
  }
}
