import { randomUUID } from 'node:crypto';
import type { BuildEnd, Builder, BuildRequest, BuildStatus } from '../../src/core/ports/index.js';

/**
 * A remote builder like CodeBuild: `start` returns a build id and no `ended` (the end arrives later
 * as an event). It records every call, and can be told to refuse a deployment's build the way
 * StartBuild does when it is throttled.
 */
export class RecordingBuilder implements Builder {
  readonly started: Array<Omit<BuildRequest, 'onLine'> & { buildId: string }> = [];
  readonly stopped: string[] = [];
  readonly cleaned: string[] = [];
  private readonly refusals = new Map<string, Error>();
  private readonly ends = new Map<string, BuildEnd>();

  refuse(deploymentId: string, error = new Error('Rate exceeded (ThrottlingException)')): void {
    this.refusals.set(deploymentId, error);
  }

  async start(request: BuildRequest): Promise<{ buildId: string }> {
    const refusal = this.refusals.get(request.deploymentId);
    if (refusal) throw refusal;
    const buildId = `anchor-dev-build:${randomUUID()}`;
    const { onLine: _onLine, ...recorded } = request;
    this.started.push({ ...recorded, buildId });
    return { buildId };
  }

  async stop(buildId: string): Promise<void> {
    this.stopped.push(buildId);
    if (!this.ends.has(buildId)) this.ends.set(buildId, { ok: false, stopped: true, reason: 'The build was stopped.', commitSha: null, checkedOut: false });
  }

  /** The build ended (as its state-change event, which may never arrive, would say). */
  end(buildId: string, end: BuildEnd): void {
    this.ends.set(buildId, end);
  }

  /** As CodeBuild answers: a build it started runs until it ends; the latest of a deployment when no id was recorded. */
  async status(input: { deploymentId: string; buildId: string | null }): Promise<BuildStatus> {
    const build = input.buildId ? this.started.find((b) => b.buildId === input.buildId) : this.started.filter((b) => b.deploymentId === input.deploymentId).at(-1);
    if (!build) return { state: 'unknown' };
    const end = this.ends.get(build.buildId);
    return end ? { state: 'ended', buildId: build.buildId, end } : { state: 'running', buildId: build.buildId };
  }

  readonly forgotten: string[] = [];

  async forgetSecret(projectName: string, key: string): Promise<void> {
    this.forgotten.push(`${projectName}/${key}`);
  }

  async cleanup(buildId: string): Promise<void> {
    this.cleaned.push(buildId);
  }
}
