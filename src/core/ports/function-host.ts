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
 * Contract:
 * - `publish` brings up a deployment's server and image functions, the server with `env` as the
 *   project's variables, without routing any traffic to them. Publishing a deployment that is
 *   published already (a rollback, a retried deploy) gives its version back.
 * - `smoke` resolves when the version's server answers `GET /` below 500; it rejects when the
 *   answer is a 5xx or the function throws.
 * - `activate` routes the project's traffic to the version, and only that project's; requests in
 *   flight finish on the old version, which is never deleted at that moment.
 * - `release` lets a version go that no longer serves traffic (locally: stops its processes once
 *   idle); it never takes down the version the project's traffic goes to.
 * - `remove` deletes what `publish` made for a deployment retention dropped (its Lambda versions),
 *   for good; it never removes the version the project's traffic goes to (that one is left as it
 *   is), and removing what is gone already is harmless.
 */
export interface FunctionHost {
  /** The CPU the functions run on: native modules in a bundle must be built for it. */
  readonly cpu: CpuArch;
  publish(input: PublishInput): Promise<FunctionVersion>;
  smoke(version: FunctionVersion, projectName: string): Promise<void>;
  /** `revision` is the live pointer's revision after the flip: an activation whose revision is not above one already applied is ignored. */
  activate(projectName: string, version: FunctionVersion, revision: number): Promise<void>;
  release(projectName: string, deploymentId: string): Promise<void>;
  remove(projectName: string, deploymentId: string): Promise<void>;
}
