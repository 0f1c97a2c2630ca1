import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AnchorError } from '../../../core/errors.js';
import type { ArtifactInfo, PublishStats, StaticHost } from '../../../core/ports/index.js';

/**
 * Locally a deployment's assets are served straight from its stored artifact (its own prefix by
 * construction), so publishing checks they are there and counts them; switching them live happens
 * with the functions, in LocalFunctionHost.activate, as one flip.
 */
export class FileStaticHost implements StaticHost {
  async publish(_projectName: string, _deploymentId: string, artifact: ArtifactInfo): Promise<PublishStats> {
    const root = join(artifact.location, 'assets');
    let files: number;
    try {
      files = (await readdir(root, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).length;
    } catch {
      throw new AnchorError({ code: 'ASSETS_MISSING', kind: 'external', message: `the build output has no assets directory (${root})` });
    }
    return { files, uploaded: 0, skipped: files };
  }

  async activate(): Promise<void> {}

  /** The assets are the stored artifact's own (`assets/`): retention removing the artifact removes them. */
  async remove(): Promise<void> {}
}
