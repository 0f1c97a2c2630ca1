import type { ArtifactInfo } from './artifacts.js';

export interface PublishStats {
  files: number;
  uploaded: number;
  skipped: number;
}

/**
 * Contract:
 * - `publish` makes every file under the artifact's `assets/` servable under the deployment's own
 *   prefix, with the same bytes, without touching what the project's site serves now. `files`
 *   counts those files, each either `uploaded` or `skipped` (already there); publishing the same
 *   deployment again is harmless. An artifact with no `assets/` is not an OpenNext output: refused.
 * - `activate` points the project's site at a published deployment's assets; the sites of other
 *   projects are untouched.
 * - `remove` deletes a dropped deployment's assets and the ISR cache entries its build seeded,
 *   except cache entries one of `kept` (the deployments retention keeps) shares with it; what the
 *   project's site serves now is never removed. Removing twice is harmless.
 */
export interface StaticHost {
  publish(projectName: string, deploymentId: string, artifact: ArtifactInfo): Promise<PublishStats>;
  activate(projectName: string, deploymentId: string): Promise<void>;
  remove(projectName: string, artifact: ArtifactInfo, kept: readonly ArtifactInfo[]): Promise<void>;
}
