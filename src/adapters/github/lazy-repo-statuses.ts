import type { RepoStatuses } from '../../core/ports/repo-statuses.js';

/** GitHub statuses with Octokit, loaded on the first report (most processes never make one). */
export function lazyRepoStatuses(githubApiUrl: string | undefined): RepoStatuses {
  let made: Promise<RepoStatuses> | undefined;
  const statuses = (): Promise<RepoStatuses> =>
    (made ??= Promise.all([import('@octokit/rest'), import('./octokit-repo-statuses.js')]).then(
      ([{ Octokit }, { OctokitRepoStatuses }]) =>
        new OctokitRepoStatuses({
          octokit: (token) => new Octokit({ auth: token, ...(githubApiUrl ? { baseUrl: githubApiUrl } : {}), log: { debug() {}, info() {}, warn() {}, error() {} } }),
        }),
    ));
  return {
    ensureDeployment: async (target, input) => (await statuses()).ensureDeployment(target, input),
    setDeploymentStatus: async (target, input) => (await statuses()).setDeploymentStatus(target, input),
    setCommitStatus: async (target, input) => (await statuses()).setCommitStatus(target, input),
  };
}
