import type { DeploymentView, ProjectView } from '../../core/api/api-views.js';
import type { DeploymentState, Trigger } from '../../core/deployment.js';
import { isEnded, phaseTimings } from '../../core/deployment.js';
import { mergeDotenv } from '../../core/dotenv-format.js';
import { AnchorError } from '../../core/errors.js';
import type { DeploymentSummary, LogTarget, PlatformOperations, ProjectRow, RemoteDomain, RemoteProjects, TokenInput } from '../../core/operations/platform-operations.js';
import type { LogLine } from '../../core/ports/build-logs.js';
import type { EnvListing } from '../../core/use-cases/env.js';
import { retainedIds } from '../../core/use-cases/retention.js';
import type { TokenView } from '../../core/use-cases/tokens.js';
import type { ApiHttpClient } from './api-http-client.js';

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

const V1 = '/api/v1';
const seg = encodeURIComponent;

/**
 * The operations of a platform reached through its HTTP API (`anchor login`): the same calls the
 * commands make on a platform held here, answered by the platform's own core, scoped to the
 * token's owner. Errors come back as the AnchorError the platform raised (ApiHttpClient).
 */
export class HttpOperations implements PlatformOperations, RemoteProjects {
  readonly remote: RemoteProjects = this;

  constructor(private readonly api: ApiHttpClient) {}

  async listProjects(): Promise<ProjectRow[]> {
    const projects = await this.all<ProjectView>(`${V1}/projects`, 100);
    return projects.map((p) => ({ name: p.name, id: p.id, repo: p.repo, branch: p.branch, live: p.live?.deploymentId ?? null }));
  }

  async showProject(name: string): Promise<ProjectView> {
    return this.api.call<ProjectView>('GET', `${V1}/projects/${seg(name)}`);
  }

  async addProject(input: { name: string; repo: string; branch: string }) {
    const { webhook, ...project } = await this.api.call<ProjectView & { webhook: { url: string; secret: string } }>('POST', `${V1}/projects`, input);
    return { project, webhook };
  }

  async removeProject(name: string): Promise<void> {
    await this.api.call('DELETE', `${V1}/projects/${seg(name)}`);
  }

  async listDomains(project: string): Promise<RemoteDomain[]> {
    return (await this.api.call<Page<RemoteDomain>>('GET', `${V1}/projects/${seg(project)}/domains`)).items;
  }

  async addDomain(project: string, domain: string) {
    return this.api.call<{ items: RemoteDomain[]; added: string[] }>('POST', `${V1}/projects/${seg(project)}/domains`, { domain });
  }

  async removeDomain(project: string, domain: string): Promise<void> {
    await this.api.call('DELETE', `${V1}/projects/${seg(project)}/domains/${seg(domain)}`);
  }

  async siteUrl(project: string): Promise<string | null> {
    return (await this.api.call<ProjectView>('GET', `${V1}/projects/${seg(project)}`)).url;
  }

  async requestDeploy(input: { project: string; ref: string | undefined }) {
    const made = await this.api.call<DeploymentView>('POST', `${V1}/projects/${seg(input.project)}/deployments`, input.ref === undefined ? {} : { ref: input.ref });
    return { id: made.id, ref: made.ref, state: made.state as DeploymentState };
  }

  async listDeployments(input: { project: string; limit: number }) {
    // Enough history for the rollback targets (retention keeps the newest 10 that went live, and the one before live).
    const views = await this.all<DeploymentView>(`${V1}/projects/${seg(input.project)}/deployments`, 100, Math.max(input.limit, 100));
    const history = views.map(summaryOf);
    const live = views.find((v) => v.live)?.id ?? null;
    const kept = retainedIds(history, live);
    return { deployments: history.slice(0, input.limit), live, rollbackTargets: history.filter((d) => d.state === 'retired' && kept.has(d.id)).map((d) => d.id) };
  }

  async showDeployment(input: { id: string; tail: number }) {
    const view = await this.deployment(input.id);
    const deployment = summaryOf(view);
    const target = { deploymentId: view.id, project: view.project, state: deployment.state };
    const lastLines: LogLine[] = [];
    for (let after = 0; ; ) {
      const lines = await this.readLogs(target, { after, limit: 1000 });
      if (lines.length === 0) break;
      lastLines.push(...lines);
      lastLines.splice(0, Math.max(0, lastLines.length - input.tail));
      after = lines[lines.length - 1]?.n ?? after;
      if (lines.length < 1000) break;
    }
    const first = deployment.transitions[0];
    const end = view.endedAt ?? null;
    const totalMs = first && end ? Date.parse(end) - Date.parse(first.at) : null;
    return { deployment, project: view.project, phases: phaseTimings(deployment, isEnded(deployment.state) ? undefined : new Date()), totalMs, lastLines, live: view.live, runtime: null };
  }

  async resolveLogTarget(target: string): Promise<LogTarget> {
    if (/^d_[0-9a-z]+$/.test(target)) {
      const view = await this.deployment(target);
      return { deploymentId: view.id, project: view.project, state: view.state as DeploymentState };
    }
    const page = await this.api.call<Page<DeploymentView>>('GET', `${V1}/projects/${seg(target)}/deployments?limit=1`);
    const newest = page.items[0];
    if (!newest) throw new AnchorError({ code: 'NO_DEPLOYMENTS', kind: 'not-found', message: `"${target}" has no deployments yet.`, hint: `Push to its branch, or run "anchor deploy ${target}".` });
    return { deploymentId: newest.id, project: target, state: newest.state as DeploymentState };
  }

  async readLogs(target: LogTarget, page: { after: number; limit: number }): Promise<LogLine[]> {
    const answer = await this.api.call<Page<{ seq: number; at: string; text: string }>>('GET', `${this.logsPath(target)}?cursor=${page.after}&limit=${Math.min(page.limit, 1000)}`);
    return answer.items.map((l) => ({ n: l.seq, at: l.at, text: l.text }));
  }

  async followLogs(target: LogTarget, input: { after: number; signal: AbortSignal; onLines: (lines: LogLine[]) => void }) {
    let state = target.state;
    for await (const event of this.api.events(`${this.logsPath(target)}/stream`, { after: input.after, signal: input.signal })) {
      const data = event.data as { seq?: number; at?: string; text?: string; state?: DeploymentState };
      if (event.event === 'line') input.onLines([{ n: data.seq ?? 0, at: data.at ?? '', text: data.text ?? '' }]);
      else if ((event.event === 'state' || event.event === 'end') && data.state) state = data.state;
    }
    if (input.signal.aborted || !isEnded(state)) return { state, reason: null };
    // The reason a deployment failed is on the deployment, not in the stream's end.
    const ended = await this.deployment(target.deploymentId);
    return { state: ended.state as DeploymentState, reason: ended.error?.message ?? null };
  }

  async rollback(input: { project: string; to: string | undefined }) {
    const answer = await this.api.call<{ live: DeploymentView | null; from: string; flipMs: number }>('POST', `${V1}/projects/${seg(input.project)}/rollback`, input.to === undefined ? {} : { to: input.to });
    return { project: input.project, from: answer.from, to: answer.live?.id ?? '', flipMs: answer.flipMs, serverDeferred: false };
  }

  async listEnv(project: string): Promise<EnvListing[]> {
    return (await this.api.call<Page<EnvListing>>('GET', `${V1}/projects/${seg(project)}/env`)).items;
  }

  async setEnv(input: Parameters<PlatformOperations['setEnv']>[0]) {
    return this.api.call<Awaited<ReturnType<PlatformOperations['setEnv']>>>('PUT', `${V1}/projects/${seg(input.project)}/env/${seg(input.key)}`, { value: input.value, secret: input.secret, targets: input.targets });
  }

  async removeEnv(input: { project: string; key: string }) {
    await this.api.call('DELETE', `${V1}/projects/${seg(input.project)}/env/${seg(input.key)}`);
  }

  async importEnv(input: Parameters<PlatformOperations['importEnv']>[0]) {
    return this.api.call<{ imported: string[] }>('POST', `${V1}/projects/${seg(input.project)}/env:import`, { vars: input.vars });
  }

  async pullEnv(input: Parameters<PlatformOperations['pullEnv']>[0]) {
    // The same merge as on the platform's machine, over what the API lists (secret values are null there).
    const vars = (await this.listEnv(input.project)).filter((v) => v.targets.includes(input.target)).sort((a, b) => a.key.localeCompare(b.key));
    return mergeDotenv(input.existing, vars.map((v) => ({ key: v.key, value: v.secret ? null : v.value, secret: v.secret })), `# Pulled from anchor project "${input.project}" (${input.target} variables).`);
  }

  async listTokens(input: { owner: string | undefined }): Promise<TokenView[]> {
    if (input.owner !== undefined) throw ownerRefused('tokens ls');
    return (await this.api.call<Page<TokenView>>('GET', `${V1}/tokens`)).items;
  }

  async createToken(input: TokenInput) {
    if (input.owner !== undefined) throw ownerRefused('tokens create');
    const { token, ...view } = await this.api.call<TokenView & { token: string }>('POST', `${V1}/tokens`, { name: input.name, ...(input.project === undefined ? {} : { project: input.project }), scope: input.scope, expiresIn: input.expires });
    return { token, view };
  }

  async revokeToken(id: string): Promise<TokenView> {
    const view = (await this.listTokens({ owner: undefined })).find((t) => t.id === id);
    await this.api.call('DELETE', `${V1}/tokens/${seg(id)}`);
    return view ?? { id, name: id, owner: '', scope: 'read', project: null, createdAt: '', expiresAt: '', lastUsedAt: null, revokedAt: null, expired: false };
  }

  private deployment(id: string) {
    return this.api.call<DeploymentView & { project: string }>('GET', `${V1}/deployments/${seg(id)}`);
  }

  private logsPath(target: LogTarget): string {
    return `${V1}/projects/${seg(target.project ?? '')}/deployments/${seg(target.deploymentId)}/logs`;
  }

  /** Every page of a list, up to `max` items. */
  private async all<T>(path: string, pageSize: number, max = Infinity): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | null = null;
    do {
      const page: Page<T> = await this.api.call<Page<T>>('GET', `${path}?limit=${pageSize}${cursor === null ? '' : `&cursor=${seg(cursor)}`}`);
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null && items.length < max);
    return items.slice(0, max);
  }
}

/** A deployment as the commands show it, from what the API tells of it. */
function summaryOf(view: DeploymentView): DeploymentSummary {
  const trigger: Trigger = view.trigger === 'push' ? { kind: 'push', deliveryId: '', pusher: view.pusher ?? null } : view.trigger === 'rollback' ? { kind: 'rollback', from: view.from ?? '?' } : { kind: 'manual', ref: view.ref };
  return {
    id: view.id,
    state: view.state as DeploymentState,
    commitSha: view.commit,
    commitMessage: view.message ?? null,
    ref: view.ref,
    trigger,
    transitions: view.phases.map((p) => ({ state: p.name as DeploymentState, at: p.startedAt })),
    reason: view.error?.message ?? null,
    createdAt: view.createdAt,
    runtime: null,
  };
}

function ownerRefused(command: string): AnchorError {
  return new AnchorError({ code: 'REMOTE_NOT_SUPPORTED', kind: 'usage', message: `"anchor ${command} --owner" works only on the platform's machine: remotely a token acts as its own owner.`, hint: 'Drop --owner, or log in with a token of that owner.' });
}
