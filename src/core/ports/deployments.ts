import type { Deployment, DeploymentState } from '../deployment.js';

export interface LivePointer {
  projectId: string;
  deploymentId: string;
  sequence: number;
  /** The highest sequence that was ever live: `onlyIfNewer` compares against it, so a rollback is not undone by an older build. */
  highestSequence: number;
  /** Bumped on every flip; the compare-and-swap compares it. */
  revision: number;
  at: string;
}

export type PromoteResult = { ok: true; pointer: LivePointer; previous: LivePointer | null } | { ok: false; current: LivePointer | null; reason: 'revision-changed' | 'not-newer' | 'state-changed' };

/**
 * Contract:
 * - `create` assigns the next per-project `sequence` (strictly increasing) and returns the stored deployment.
 * - `transition` moves a deployment only when its current state is one of `from`, appending the
 *   transition with its time; it returns null (and changes nothing) otherwise.
 * - `promote` is the live compare-and-swap, atomic: it succeeds only if the live revision is still
 *   `expectedRevision` (null = no live yet), and, when `onlyIfNewer`, only if the candidate's sequence
 *   is higher than every sequence that was ever live (`highestSequence`). On success the candidate becomes `live`, the previous live one
 *   `retired`, and the pointer's revision goes up by one.
 */
export interface Deployments {
  create(input: Omit<Deployment, 'sequence' | 'updatedAt'>): Promise<Deployment>;
  get(id: string): Promise<Deployment | null>;
  listByProject(projectId: string, options?: { limit?: number; states?: readonly DeploymentState[] }): Promise<Deployment[]>;
  transition(id: string, from: readonly DeploymentState[], to: DeploymentState, at: string, patch?: Partial<Pick<Deployment, 'reason' | 'commitSha' | 'commitMessage' | 'buildId' | 'runtimeEnv'>>): Promise<Deployment | null>;
  update(id: string, patch: Partial<Pick<Deployment, 'commitSha' | 'commitMessage' | 'buildId' | 'runtimeEnv'>>): Promise<void>;
  getLive(projectId: string): Promise<LivePointer | null>;
  promote(input: { projectId: string; deploymentId: string; expectedRevision: number | null; onlyIfNewer: boolean; at: string }): Promise<PromoteResult>;
  remove(id: string): Promise<void>;
}
