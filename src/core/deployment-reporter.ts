import type { Deployment, DeploymentState } from './deployment.js';
import { errorMessage } from './errors.js';
import { maskSecrets } from './log-writer.js';
import type { Ports } from './ports/index.js';
import type { CommitState, HostDeploymentState, RepoStatuses, StatusTarget } from './ports/repo-statuses.js';
import type { Project } from './project.js';

/** What GitHub shows for a deployment in each state; null: nothing to say (retired, or a state already said). */
export function hostReport(deployment: Pick<Deployment, 'state' | 'reason'>): { deployment: HostDeploymentState; commit: CommitState; description: string } | null {
  const table: Partial<Record<DeploymentState, { deployment: HostDeploymentState; commit: CommitState; description: string }>> = {
    queued: { deployment: 'queued', commit: 'pending', description: 'Queued' },
    building: { deployment: 'in_progress', commit: 'pending', description: 'Building' },
    built: { deployment: 'in_progress', commit: 'pending', description: 'Built, deploying' },
    deploying: { deployment: 'in_progress', commit: 'pending', description: 'Deploying' },
    live: { deployment: 'success', commit: 'success', description: 'Live' },
    failed: { deployment: 'failure', commit: 'failure', description: `Failed${deployment.reason ? `: ${deployment.reason}` : ''}` },
    superseded: { deployment: 'inactive', commit: 'error', description: 'Not deployed: a newer push replaced it' },
    cancelled: { deployment: 'inactive', commit: 'error', description: 'Cancelled' },
  };
  const found = table[deployment.state];
  // GitHub keeps descriptions to 140 characters.
  return found ? { ...found, description: found.description.length > 140 ? `${found.description.slice(0, 139)}…` : found.description } : null;
}

/** The dashboard's page of a deployment, under the platform's URL (GitHub links to it as the log). */
export function dashboardDeploymentUrl(platformUrl: string, projectName: string, deploymentId: string): string {
  return `${platformUrl.replace(/\/+$/, '')}/projects/${encodeURIComponent(projectName)}/deployments/${encodeURIComponent(deploymentId)}`;
}

export const commitStatusContext = (projectName: string): string => `anchor/${projectName}`;
export const hostEnvironment = (projectName: string): string => `${projectName}/production`;

export type ReporterDeps = Pick<Ports, 'projects' | 'repoTokens' | 'logs' | 'clock' | 'logger'> & { statuses: RepoStatuses };

export interface ReporterOptions {
  /** Where the platform answers (the dashboard's deployment pages are under it); read at each report. */
  platformUrl: () => string;
  /** The site's address, for GitHub's environment URL (null when not known). */
  siteUrl(project: Project): Promise<string | null>;
  /** Tries per call (default 4), and the first wait between them (default 1 s, doubling each time). */
  attempts?: number;
  firstDelayMs?: number;
}

const END_STATES: readonly HostDeploymentState[] = ['success', 'failure', 'inactive'];

/**
 * Reports deployments to GitHub (issue #14): a Deployment in `<project>/production` for the commit,
 * its statuses queued → in_progress → success / failure, and the commit status `anchor/<project>`.
 * Only for a GitHub repository whose project has a token.
 *
 * `report` returns at once: the calls run later, one project's reports in order, each call
 * retried with backoff. A report that still fails becomes a warning line in the deployment's log;
 * nothing here ever fails or waits up a deploy. A Lambda handler calls `drain` before it returns
 * (a frozen container would lose what is still pending).
 */
export class DeploymentReporter {
  readonly #chains = new Map<string, Promise<void>>();
  /** GitHub's deployment id per anchor deployment, and what was last said about it. */
  readonly #hostIds = new Map<string, number>();
  readonly #said = new Map<string, HostDeploymentState>();

  constructor(
    private readonly deps: ReporterDeps,
    private readonly options: ReporterOptions,
  ) {}

  /** Schedules a report of the deployment as it is now. */
  report(deployment: Deployment): void {
    this.reportLater(deployment, async () => deployment);
  }

  /**
   * Schedules a report of a deployment read when its turn comes. One project's reports go out in
   * the order they were made (a newer deployment's success must not reach GitHub before an older one's).
   */
  reportLater(of: Pick<Deployment, 'id' | 'projectId'>, load: () => Promise<Deployment | null>): void {
    const key = of.projectId;
    const previous = this.#chains.get(key) ?? Promise.resolve();
    const next = previous
      .then(async () => {
        const deployment = await load();
        if (deployment) await this.#report(deployment);
      })
      .catch((error: unknown) => this.deps.logger.warn('github: a deployment report failed', { deploymentId: of.id, error: errorMessage(error) }));
    this.#chains.set(key, next);
    void next.then(() => {
      if (this.#chains.get(key) === next) this.#chains.delete(key);
    });
  }

  /** Waits until every scheduled report is done, or `ms` passed; true when all were done. */
  async drain(ms: number): Promise<boolean> {
    const abort = new AbortController();
    const all = (async () => {
      while (this.#chains.size > 0) await Promise.all([...this.#chains.values()]);
      return true;
    })();
    try {
      return await Promise.race([all, this.deps.clock.sleep(ms, abort.signal).then(() => false)]);
    } finally {
      abort.abort();
    }
  }

  async #report(deployment: Deployment): Promise<void> {
    const what = hostReport(deployment);
    // A push names its commit; a manual deploy is reported once its commit is known.
    if (!what || !deployment.commitSha) return;
    if (what.deployment === 'in_progress' && this.#said.get(deployment.id) === 'in_progress') return;
    const project = await this.deps.projects.getById(deployment.projectId);
    if (!project || project.repo.kind !== 'github') return;
    const token = await this.deps.repoTokens.get(project);
    if (!token) return;
    const target: StatusTarget = { owner: project.repo.owner, repo: project.repo.name, token };
    const sha = deployment.commitSha;
    const logUrl = dashboardDeploymentUrl(this.options.platformUrl(), project.name, deployment.id);
    const environmentUrl = what.deployment === 'success' ? await this.options.siteUrl(project).catch(() => null) : null;
    const failures: string[] = [];
    try {
      let hostId = this.#hostIds.get(deployment.id);
      if (hostId === undefined) {
        const input = { sha, environment: hostEnvironment(project.name), anchorDeploymentId: deployment.id, description: `anchor ${deployment.id}` };
        hostId = (await this.#retry(() => this.deps.statuses.ensureDeployment(target, input))).id;
        this.#hostIds.set(deployment.id, hostId);
      }
      const id = hostId;
      await this.#retry(() => this.deps.statuses.setDeploymentStatus(target, { deploymentId: id, state: what.deployment, logUrl, environmentUrl, description: what.description }));
      this.#said.set(deployment.id, what.deployment);
    } catch (error) {
      failures.push(`deployment status "${what.deployment}": ${errorMessage(error)}`);
    }
    try {
      const targetUrl = what.commit === 'success' && environmentUrl ? environmentUrl : logUrl;
      await this.#retry(() => this.deps.statuses.setCommitStatus(target, { sha, context: commitStatusContext(project.name), state: what.commit, targetUrl, description: what.description }));
    } catch (error) {
      failures.push(`commit status "${what.commit}": ${errorMessage(error)}`);
    }
    if (END_STATES.includes(what.deployment)) {
      this.#hostIds.delete(deployment.id);
      this.#said.delete(deployment.id);
    }
    if (failures.length > 0) await this.#warn(deployment.id, failures.map((f) => maskSecrets(f, [token])));
  }

  async #warn(deploymentId: string, failures: string[]): Promise<void> {
    const lines = failures.map((f) => `⚠ GitHub was not told the ${f}. The deployment itself is not affected.`);
    this.deps.logger.warn('github: reporting failed', { deploymentId, failures });
    await this.deps.logs.append(deploymentId, lines, this.deps.clock.now().toISOString()).catch(() => undefined);
  }

  async #retry<T>(call: () => Promise<T>): Promise<T> {
    const attempts = this.options.attempts ?? 4;
    const first = this.options.firstDelayMs ?? 1000;
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (attempt >= attempts || (error as { retryable?: unknown }).retryable === false) throw error;
        await this.deps.clock.sleep(first * 2 ** (attempt - 1));
      }
    }
  }
}
