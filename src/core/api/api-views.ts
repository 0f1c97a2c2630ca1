import { AnchorError } from '../errors.js';
import type { Deployment } from '../deployment.js';
import type { LivePointer } from '../ports/deployments.js';
import type { Project } from '../project.js';
import { describeRepo } from '../project.js';
import type { ApiDeps } from './api-types.js';

export interface ProjectView {
  name: string;
  /** The id in the project's webhook URL; the same as `anchor projects ls` shows. */
  id: string;
  repo: string;
  branch: string;
  url: string | null;
  live: { deploymentId: string; commit: string | null; activatedAt: string } | null;
  latest: { id: string; state: string; createdAt: string } | null;
}

export interface PhaseView {
  name: string;
  startedAt: string;
  endedAt?: string;
  ms?: number;
}

export interface DeploymentView {
  id: string;
  state: string;
  commit: string | null;
  ref: string;
  message?: string;
  trigger: string;
  /** Who pushed (trigger push), or the deployment rolled back from (trigger rollback). */
  pusher?: string;
  from?: string;
  createdAt: string;
  endedAt?: string;
  live: boolean;
  phases: PhaseView[];
  error?: { code: string; message: string };
}

const ENDS = ['live', 'failed', 'superseded', 'cancelled'];

export async function projectView(deps: Pick<ApiDeps, 'deployments' | 'siteUrl'>, project: Project): Promise<ProjectView> {
  const [live, [latest], url] = await Promise.all([deps.deployments.getLive(project.id), deps.deployments.listByProject(project.id, { limit: 1 }), deps.siteUrl(project)]);
  const liveDeployment = live ? await deps.deployments.get(live.deploymentId) : null;
  return {
    name: project.name,
    id: project.id,
    repo: describeRepo(project.repo),
    branch: project.branch,
    url,
    live: live ? { deploymentId: live.deploymentId, commit: liveDeployment?.commitSha ?? null, activatedAt: live.at } : null,
    latest: latest ? { id: latest.id, state: latest.state, createdAt: latest.createdAt } : null,
  };
}

export function deploymentView(deployment: Deployment, live: LivePointer | null): DeploymentView {
  const phases: PhaseView[] = deployment.transitions.map((t, i) => {
    const next = deployment.transitions[i + 1];
    return next ? { name: t.state, startedAt: t.at, endedAt: next.at, ms: Math.max(0, Date.parse(next.at) - Date.parse(t.at)) } : { name: t.state, startedAt: t.at };
  });
  const end = [...deployment.transitions].reverse().find((t) => ENDS.includes(t.state));
  return {
    id: deployment.id,
    state: deployment.state,
    commit: deployment.commitSha,
    ref: deployment.ref,
    ...(deployment.commitMessage ? { message: deployment.commitMessage } : {}),
    trigger: deployment.trigger.kind,
    ...(deployment.trigger.kind === 'push' && deployment.trigger.pusher ? { pusher: deployment.trigger.pusher } : {}),
    ...(deployment.trigger.kind === 'rollback' ? { from: deployment.trigger.from } : {}),
    createdAt: deployment.createdAt,
    ...(end ? { endedAt: end.at } : {}),
    live: live?.deploymentId === deployment.id,
    phases,
    ...(deployment.state === 'failed' || deployment.state === 'superseded' ? { error: { code: deployment.state === 'failed' ? 'DEPLOYMENT_FAILED' : 'DEPLOYMENT_SUPERSEDED', message: deployment.reason ?? deployment.state } } : {}),
  };
}

/** `?limit=`: default 20, at most `max`. */
export function pageLimit(query: URLSearchParams, fallback = 20, max = 100): number {
  const raw = query.get('limit');
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new AnchorError({ code: 'LIMIT_INVALID', kind: 'usage', message: `limit must be a whole number from 1 to ${max}.`, hint: `Pass e.g. ?limit=${fallback}.` });
  }
  return n;
}

/** A cursor that is a whole number (a deployment's sequence, a log line's number). */
export function numberCursor(query: URLSearchParams): number | null {
  const raw = query.get('cursor');
  if (raw === null || raw === '') return null;
  if (!/^\d{1,15}$/.test(raw)) throw new AnchorError({ code: 'CURSOR_INVALID', kind: 'usage', message: 'That cursor is not one this API gave out.', hint: 'Pass the nextCursor of the previous page, or none for the first page.' });
  return Number(raw);
}
