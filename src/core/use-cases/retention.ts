import { isSpent, type Deployment } from '../deployment.js';
import type { ArtifactInfo, Ports } from '../ports/index.js';

/** How many deployments that went live keep everything a rollback needs (the newest ones). */
export const RETAINED_DEPLOYMENTS = 10;

export type RetentionDeps = Pick<Ports, 'projects' | 'deployments' | 'artifacts' | 'runtimeLogs' | 'staticHost' | 'functions'>;

type History = readonly Pick<Deployment, 'id' | 'state' | 'transitions'>[];

/**
 * The one retention rule of both backends: a project keeps the live deployment, the default
 * rollback target (the one live just before it), and the newest RETAINED_DEPLOYMENTS that went
 * live, whatever their age. These are exactly what `rollback` accepts and `deployments ls` marks.
 * `history` is the project's deployments, newest first.
 */
export function retainedIds(history: History, liveId: string | null, keep = RETAINED_DEPLOYMENTS): Set<string> {
  const kept = new Set<string>();
  if (liveId) kept.add(liveId);
  const target = previousLive(history, liveId);
  if (target) kept.add(target);
  for (const d of history.filter((d) => d.state === 'retired' || d.state === 'live').slice(0, keep)) kept.add(d.id);
  return kept;
}

/**
 * Removes everything of each ended deployment the rule drops: its assets and the ISR cache its
 * build seeded (unless a kept one shares it), its function versions (never one traffic goes to),
 * its artifact, and its runtime log (it can never run again). A deployment still on its way is
 * never touched. Returns the ids it removed.
 */
export async function applyRetention(deps: RetentionDeps, projectId: string, keep = RETAINED_DEPLOYMENTS): Promise<string[]> {
  const project = await deps.projects.getById(projectId);
  if (!project) return [];
  const live = await deps.deployments.getLive(projectId);
  const all = await deps.deployments.listByProject(projectId, { limit: 1000 });
  const kept = retainedIds(all, live?.deploymentId ?? null, keep);
  const dropped: ArtifactInfo[] = [];
  for (const d of all) {
    if (kept.has(d.id) || !isSpent(d.state)) continue;
    const artifact = await deps.artifacts.get({ projectName: project.name, deploymentId: d.id });
    if (artifact) dropped.push(artifact);
  }
  if (dropped.length === 0) return [];
  const keptArtifacts = (await Promise.all([...kept].map((id) => deps.artifacts.get({ projectName: project.name, deploymentId: id })))).filter((a): a is ArtifactInfo => a !== null);
  const removed: string[] = [];
  for (const artifact of dropped) {
    // The artifact goes last: it is what tells the next run that something of the deployment is left.
    await deps.staticHost.remove(project.name, artifact, keptArtifacts);
    await deps.functions.remove(project.name, artifact.deploymentId);
    const ref = { projectName: project.name, deploymentId: artifact.deploymentId };
    await deps.artifacts.remove(ref);
    await deps.runtimeLogs.remove(ref);
    removed.push(artifact.deploymentId);
  }
  return removed;
}

/** The deployment that was live most recently before the current one: rollback's default target. */
export function previousLive(deployments: readonly { id: string; state: string; transitions: readonly { state: string; at: string }[] }[], liveId: string | null): string | null {
  let best: { id: string; at: string } | null = null;
  for (const d of deployments) {
    if (d.id === liveId || d.state !== 'retired') continue;
    const retiredAt = [...d.transitions].reverse().find((t) => t.state === 'retired')?.at;
    if (retiredAt && (!best || retiredAt > best.at)) best = { id: d.id, at: retiredAt };
  }
  return best?.id ?? null;
}
