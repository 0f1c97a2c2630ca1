import type { DeploymentRef } from '../deployment.js';

export type { DeploymentRef };

/** One line a site's function printed, or one anchor wrote about it (a crash, a restart). */
export interface RuntimeLogLine {
  at: string;
  /** Which function printed it, or `anchor` for the platform's own lines. */
  source: 'server' | 'image' | 'anchor';
  stream: 'stdout' | 'stderr';
  text: string;
}

/**
 * Contract: a deployment's runtime log is what its functions print (secrets masked), bounded
 * (older lines are dropped). `read` returns the lines after `cursor` (all that are kept when
 * absent) and the cursor to pass next time; following is calling it again.
 */
export interface RuntimeLogs {
  read(ref: DeploymentRef, cursor?: string): Promise<{ lines: RuntimeLogLine[]; cursor: string }>;
  remove(ref: DeploymentRef): Promise<void>;
}
