import type { DeploymentRef } from '../deployment.js';
import type { BundleReport } from '../opennext-output.js';

export type { BundleReport, DeploymentRef };

export interface ArtifactInfo {
  deploymentId: string;
  /** Where the OpenNext output (`.open-next/` contents) can be read. */
  location: string;
  bytes: number;
}

/**
 * A finished build's output, as the builder hands it over: a directory on this machine (the local
 * builder), or already uploaded by the build itself to where the artifact belongs (CodeBuild).
 */
export type BuildOutput = { kind: 'directory'; path: string } | { kind: 'uploaded'; location: string };

/**
 * Contract: `store` copies a finished build's output so it outlives the build's scratch dir;
 * `get` returns null once an artifact is no longer retained. Each call names the deployment with
 * its project (a backend may file artifacts per project); `remove` of one not stored does nothing.
 */
export interface Artifacts {
  inspect(artifact: ArtifactInfo): Promise<BundleReport>;
  store(ref: DeploymentRef, output: BuildOutput): Promise<ArtifactInfo>;
  get(ref: DeploymentRef): Promise<ArtifactInfo | null>;
  remove(ref: DeploymentRef): Promise<void>;
}
