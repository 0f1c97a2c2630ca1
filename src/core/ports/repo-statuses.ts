/** Where a report goes: a repository on the code host, and the project's token for it. */
export interface StatusTarget {
  owner: string;
  repo: string;
  token: string;
}

/** GitHub's deployment status states, in anchor's order of a deployment's life. */
export type HostDeploymentState = 'queued' | 'in_progress' | 'success' | 'failure' | 'error' | 'inactive';
/** GitHub's commit status states. */
export type CommitState = 'pending' | 'success' | 'failure' | 'error';

/**
 * What the code host (GitHub) shows about a deployment: a Deployment with its statuses, and a
 * commit status that branch protection can require.
 *
 * Contract:
 * - `ensureDeployment` finds the host's deployment made earlier for the same anchor deployment
 *   (same commit and environment, `anchorDeploymentId` in its payload) or creates it, never
 *   auto-merging and requiring no other context.
 * - Each call is one attempt (the caller retries). An error it throws has `retryable: false` when
 *   trying again cannot help (a refused token, a missing repository, a rejected payload).
 */
export interface RepoStatuses {
  ensureDeployment(target: StatusTarget, input: { sha: string; environment: string; anchorDeploymentId: string; description: string }): Promise<{ id: number }>;
  setDeploymentStatus(
    target: StatusTarget,
    input: { deploymentId: number; state: HostDeploymentState; logUrl: string; environmentUrl: string | null; description: string },
  ): Promise<void>;
  setCommitStatus(target: StatusTarget, input: { sha: string; context: string; state: CommitState; targetUrl: string; description: string }): Promise<void>;
}
