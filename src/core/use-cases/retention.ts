import { isSpent } from '../deployment.js';
import type { Ports } from '../ports/index.js';

/** How many ended deployments keep their artifacts (and so stay rollback targets). */
export const RETAINED_DEPLOYMENTS = 10;

/**
 * Keeps the artifacts of the newest RETAINED_DEPLOYMENTS deployments that went live, and never
 * removes the live one or the default rollback target, whatever their age. A deployment whose
 * artifact goes loses its runtime log with it (it can never run again).
 */
export async function applyRetention(deps: Pick<Ports, 'deployments' | 'artifacts' | 'runtimeLogs'>, projectId: string, keep = RETAINED_DEPLOYMENTS): Promise<string[]> {
  const live = await deps.deployments.getLive(projectId);
  const all = await deps.deployments.listByProject(projectId, { limit: 1000 });
  const protectedIds = new Set<string>();
  if (live) protectedIds.add(live.deploymentId);
  const rollbackTarget = previousLive(all, live?.deploymentId ?? null);
  if (rollbackTarget) protectedIds.add(rollbackTarget);
  const wentLive = all.filter((d) => d.state === 'retired' || d.state === 'live');
  const keepIds = new Set(wentLive.slice(0, keep).map((d) => d.id));
  const removed: string[] = [];
  for (const d of all) {
    if (protectedIds.has(d.id) || keepIds.has(d.id)) continue;
    if (!isSpent(d.state)) continue;
    if (await deps.artifacts.get(d.id)) {
      await deps.artifacts.remove(d.id);
      await deps.runtimeLogs.remove(d.id);
      removed.push(d.id);
    }
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
