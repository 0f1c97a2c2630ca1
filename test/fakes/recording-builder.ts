import { randomUUID } from 'node:crypto';
import type { Builder, BuildRequest } from '../../src/core/ports/index.js';

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
  }

  async cleanup(buildId: string): Promise<void> {
    this.cleaned.push(buildId);
  }
}
