import type { ArtifactInfo } from './artifacts.js';
import type { CpuArch } from '../opennext-output.js';

export interface FunctionVersion {
  deploymentId: string;
  /** Where the server function of this version answers directly (smoke requests). */
  serverUrl: string;
  imageUrl: string;
}

export interface PublishInput {
  projectName: string;
  deploymentId: string;
  artifact: ArtifactInfo;
  env: Record<string, string>;
  /** The values in `env` that are secret: masked in whatever the functions print. */
  secretValues?: readonly string[];
  /**
   * `on-demand`: the host may start the functions with their first request (bringing back what
   * was live before a restart); by default they are started now, so a failure shows before the flip.
   */
  start?: 'now' | 'on-demand';
}

/**
 * Contract: `publish` brings up a deployment's server and image functions with `env` without
 * routing traffic to them; `smoke` proves they answer; `activate` routes the project's traffic to
 * them (requests in flight finish on the old version, which is never deleted at that moment);
 * `release` lets a retired version go (locally: stop its processes once idle).
 */
export interface FunctionHost {
  /** The CPU the functions run on: native modules in a bundle must be built for it. */
  readonly cpu: CpuArch;
  publish(input: PublishInput): Promise<FunctionVersion>;
  smoke(version: FunctionVersion, projectName: string): Promise<void>;
  /** `revision` is the live pointer's revision after the flip: an activation older than one already applied is ignored. */
  activate(projectName: string, version: FunctionVersion, revision: number): Promise<void>;
  release(projectName: string, deploymentId: string): Promise<void>;
}
