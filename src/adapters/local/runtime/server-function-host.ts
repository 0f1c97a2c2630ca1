import type { CpuArch } from '../../../core/opennext-output.js';
import type { ArtifactInfo, FunctionHost, FunctionVersion } from '../../../core/ports/index.js';
import { callControl } from '../server/control-client.js';

/**
 * The FunctionHost of a CLI process on a local platform: the functions run inside `anchor server`,
 * so this asks it over its control socket (`<platformDir>/control.sock`, mode 0600). It sends a
 * deployment id and nothing else: the server reads the project, artifact, env and live revision
 * from its own store, so a caller can never name another project's hostname or a revision of its
 * choosing. When no server runs, there is nothing to switch: the live pointer alone decides what
 * the server serves when it starts, so every call succeeds without effect and `deferred` says so.
 */
export class ServerFunctionHost implements FunctionHost {
  deferred = false;
  /** `anchor server` runs the handlers on this machine. */
  readonly cpu: CpuArch = process.arch === 'arm64' ? 'arm64' : 'x64';

  constructor(private readonly options: { controlSocket: string }) {}

  async publish(input: { projectName: string; deploymentId: string; artifact: ArtifactInfo; env: Record<string, string> }): Promise<FunctionVersion> {
    await this.call('publish', input.deploymentId);
    return { deploymentId: input.deploymentId, serverUrl: '', imageUrl: '' };
  }

  async smoke(version: FunctionVersion): Promise<void> {
    await this.call('smoke', version.deploymentId);
  }

  async activate(_projectName: string, version: FunctionVersion): Promise<void> {
    await this.call('activate', version.deploymentId);
  }

  async release(_projectName: string, deploymentId: string): Promise<void> {
    await this.call('release', deploymentId);
  }

  /** A dropped deployment's processes stop as a released one's do; its code goes with its artifact. */
  async remove(_projectName: string, deploymentId: string): Promise<void> {
    await this.call('release', deploymentId);
  }

  private async call(action: string, deploymentId: string): Promise<void> {
    if (this.deferred) return;
    const answer = await callControl(this.options.controlSocket, action, { deploymentId });
    if (!answer.reached) this.deferred = true;
  }
}
