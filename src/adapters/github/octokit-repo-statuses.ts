import type { Octokit } from '@octokit/rest';
import type { RepoStatuses, StatusTarget } from '../../core/ports/repo-statuses.js';

/** What @octokit/request throws (RequestError), read structurally. */
interface OctokitFailure {
  status: number;
  message: string;
  response?: { headers?: Record<string, string | undefined> };
}

/** An error the reporter can judge: `retryable` unless GitHub refused for good (401, 404, 422, …). */
class StatusCallFailed extends Error {
  constructor(message: string, readonly retryable: boolean) {
    super(message);
    this.name = 'StatusCallFailed';
  }
}

function judged(error: unknown, timeoutMs: number): StatusCallFailed {
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError' || /aborted|timeout/i.test(error.message))) {
    return new StatusCallFailed(`GitHub did not answer within ${timeoutMs / 1000} s`, true);
  }
  const failure = error instanceof Error && typeof (error as { status?: unknown }).status === 'number' ? (error as unknown as OctokitFailure) : null;
  if (!failure) return new StatusCallFailed(error instanceof Error ? error.message : String(error), true);
  // @octokit/request reports a connection failure as status 500 with no response.
  if (failure.response === undefined) return new StatusCallFailed(`could not reach GitHub: ${failure.message}`, true);
  const rateLimited = failure.status === 403 && failure.response.headers?.['x-ratelimit-remaining'] === '0';
  const retryable = failure.status >= 500 || failure.status === 429 || rateLimited;
  const why = failure.status === 401 ? 'the project\'s token was refused (401); set a new one with "anchor projects set-token"' : failure.status === 404 ? 'GitHub answered 404: the token may not write deployments and statuses on this repository' : `GitHub answered ${failure.status}: ${failure.message}`;
  return new StatusCallFailed(why, retryable);
}

export interface OctokitRepoStatusesOptions {
  /** An Octokit authenticated with the given token (the composition root sets the API URL). */
  octokit(token: string): Octokit;
  /** How long one call may take before it counts as failed (default 10 s). */
  timeoutMs?: number;
}

/**
 * RepoStatuses on the GitHub REST API: deployments, deployment statuses and commit statuses.
 * Needs a token that may write them (classic: `repo_deployment` and `repo:status`, or `repo`;
 * fine-grained: Deployments and Commit statuses, read and write).
 */
export class OctokitRepoStatuses implements RepoStatuses {
  constructor(private readonly options: OctokitRepoStatusesOptions) {}

  async ensureDeployment(target: StatusTarget, input: { sha: string; environment: string; anchorDeploymentId: string; description: string }): Promise<{ id: number }> {
    return this.#call(target, async (octokit, request) => {
      const { data: existing } = await octokit.rest.repos.listDeployments({ owner: target.owner, repo: target.repo, sha: input.sha, environment: input.environment, per_page: 100, request });
      const mine = existing.find((d) => (d.payload as { anchor_deployment?: unknown } | null)?.anchor_deployment === input.anchorDeploymentId);
      if (mine) return { id: mine.id };
      const { data, status } = await octokit.rest.repos.createDeployment({
        owner: target.owner,
        repo: target.repo,
        ref: input.sha,
        environment: input.environment,
        auto_merge: false,
        required_contexts: [],
        description: input.description,
        payload: { anchor_deployment: input.anchorDeploymentId },
        production_environment: true,
        transient_environment: false,
        request,
      });
      // 202 is GitHub's "merged the default branch instead": never asked for (auto_merge: false).
      if (status !== 201 || !('id' in data)) throw new StatusCallFailed(`GitHub did not create the deployment (${status})`, false);
      return { id: data.id };
    });
  }

  async setDeploymentStatus(target: StatusTarget, input: Parameters<RepoStatuses['setDeploymentStatus']>[1]): Promise<void> {
    await this.#call(target, (octokit, request) =>
      octokit.rest.repos.createDeploymentStatus({
        owner: target.owner,
        repo: target.repo,
        deployment_id: input.deploymentId,
        state: input.state,
        log_url: input.logUrl,
        ...(input.environmentUrl === null ? {} : { environment_url: input.environmentUrl }),
        description: input.description,
        auto_inactive: true,
        request,
      }),
    );
  }

  async setCommitStatus(target: StatusTarget, input: Parameters<RepoStatuses['setCommitStatus']>[1]): Promise<void> {
    await this.#call(target, (octokit, request) =>
      octokit.rest.repos.createCommitStatus({ owner: target.owner, repo: target.repo, sha: input.sha, state: input.state, target_url: input.targetUrl, description: input.description, context: input.context, request }),
    );
  }

  async #call<T>(target: StatusTarget, run: (octokit: Octokit, request: { signal: AbortSignal }) => Promise<T>): Promise<T> {
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    try {
      return await run(this.options.octokit(target.token), { signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      if (error instanceof StatusCallFailed) throw error;
      throw judged(error, timeoutMs);
    }
  }
}
