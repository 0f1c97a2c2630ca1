import { AnchorError } from '../../../core/errors.js';
import type { CpuArch } from '../../../core/opennext-output.js';
import type { ArtifactInfo, FunctionHost, FunctionVersion } from '../../../core/ports/index.js';

/**
 * The FunctionHost of a CLI process on a local platform: the functions run inside `anchor server`,
 * so this asks it over its control API (its address and bearer token are in the platform dir's
 * server.json, mode 0600, written while it runs). When no
 * server runs, there is nothing to switch: the live pointer alone decides what the server serves
 * when it starts, so every call succeeds without effect and `deferred` says so.
 */
export class ServerFunctionHost implements FunctionHost {
  deferred = false;
  /** `anchor server` runs the handlers on this machine. */
  readonly cpu: CpuArch = process.arch === 'arm64' ? 'arm64' : 'x64';

  constructor(private readonly options: { control: () => { url: string; token: string } | null }) {}

  publish(input: { projectName: string; deploymentId: string; artifact: ArtifactInfo; env: Record<string, string> }): Promise<FunctionVersion> {
    return this.call<FunctionVersion>('publish', input, { deploymentId: input.deploymentId, serverUrl: '', imageUrl: '' });
  }

  async smoke(version: FunctionVersion, projectName: string): Promise<void> {
    await this.call('smoke', { version, projectName }, {});
  }

  async activate(projectName: string, version: FunctionVersion, revision: number): Promise<void> {
    await this.call('activate', { projectName, version, revision }, {});
  }

  async release(projectName: string, deploymentId: string): Promise<void> {
    await this.call('release', { projectName, deploymentId }, {});
  }

  private async call<T>(action: string, body: unknown, whenNoServer: T): Promise<T> {
    const control = this.options.control();
    if (this.deferred || !control) {
      this.deferred = true;
      return whenNoServer;
    }
    let response: Response;
    try {
      response = await fetch(`${control.url}/_anchor/control/${action}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${control.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(120_000),
      });
    } catch {
      this.deferred = true;
      return whenNoServer;
    }
    const answer = (await response.json().catch(() => ({}))) as { message?: string; code?: string };
    if (!response.ok) {
      throw new AnchorError({ code: answer.code ?? 'SERVER_ERROR', kind: 'external', message: `anchor server could not ${action}: ${answer.message ?? response.status}`, hint: 'Look at the anchor server output for details.' });
    }
    return answer as T;
  }
}
