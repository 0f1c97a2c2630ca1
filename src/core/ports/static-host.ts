import type { ArtifactInfo } from './artifacts.js';

export interface PublishStats {
  files: number;
  uploaded: number;
  skipped: number;
}

/**
 * Contract: `publish` makes a deployment's static assets servable under its own prefix without
 * touching what is live; `activate` points the project's site at a published deployment.
 */
export interface StaticHost {
  publish(projectName: string, deploymentId: string, artifact: ArtifactInfo): Promise<PublishStats>;
  activate(projectName: string, deploymentId: string): Promise<void>;
}
