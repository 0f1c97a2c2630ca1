import { ACTIVE_STATES, type Deployment, type DeploymentState } from '../deployment.js';
import type { Ports } from '../ports/index.js';

/**
 * Only the newest push of a project is built, but a push replaces older ones only once it is
 * known to be real: when its build has checked its commit out. A push naming a commit that does
 * not exist (or that cannot be fetched) stops nothing; what it would have replaced goes on.
 *
 * - A build that checks out its commit supersedes every older deployment still queued or
 *   building (`buildCheckedOut`, from the local builder's callback or CodeBuild's phase event).
 * - A queued job whose project has a newer deployment waits (`planOlder`): superseded if that one
 *   checks out, built after all if it cannot (`resumeOlder`), failed at once if what it could not
 *   fetch was the repository itself (`failOlder`).
 */
export type SupersedeDeps = Pick<Ports, 'deployments' | 'builder' | 'logs' | 'clock'>;

/** A deployment in one of these states has checked out its commit. */
const CHECKED_OUT: readonly DeploymentState[] = ['built', 'deploying', 'live', 'retired'];
/** A deployment in one of these may still check out its commit, or fail to. */
const PENDING: readonly DeploymentState[] = ['queued', 'building'];

export type OlderPlan = { kind: 'build' } | { kind: 'supersede'; by: Deployment } | { kind: 'wait'; for: Deployment };

/** What to do with `deployment`'s job given the project's newer deployments. */
export async function planOlder(deps: Pick<Ports, 'deployments'>, deployment: Deployment): Promise<OlderPlan> {
  const recent = await deps.deployments.listByProject(deployment.projectId, { limit: 50 });
  const newer = recent.filter((d) => d.sequence > deployment.sequence);
  const replacing = newer.find((d) => CHECKED_OUT.includes(d.state));
  if (replacing) return { kind: 'supersede', by: replacing };
  // Only a queued one waits: one already building (a retried job) is "the build already running".
  const pending = newer.find((d) => PENDING.includes(d.state));
  if (pending && deployment.state === 'queued') return { kind: 'wait', for: pending };
  return { kind: 'build' };
}

export async function waitForNewer(deps: SupersedeDeps, deployment: Deployment, newer: Deployment): Promise<void> {
  await deps.logs
    .append(deployment.id, [`⏸ Waiting: ${newer.id} replaces this one once its commit is checked out (this one is built if that fails).`], deps.clock.now().toISOString())
    .catch(() => undefined);
}

/** The build of `deploymentId` has its commit: every older deployment still queued or building stops. */
export async function buildCheckedOut(deps: SupersedeDeps, deploymentId: string): Promise<string[]> {
  const deployment = await deps.deployments.get(deploymentId);
  if (!deployment || deployment.state !== 'building') return [];
  return supersedeOlder(deps, deployment);
}

/**
 * `failed` never checked out its commit. If nothing newer is pending, the newest older deployment
 * that waited for it is built after all (its job ended when it began to wait, so it gets another).
 */
export async function resumeOlder(deps: Pick<Ports, 'deployments' | 'queue' | 'logs' | 'clock'>, failed: Deployment): Promise<Deployment | null> {
  const active = await deps.deployments.listByProject(failed.projectId, { limit: 50, states: ACTIVE_STATES });
  if (active.some((d) => d.sequence > failed.sequence)) return null;
  // Newest first: when the newest older one is already building, it goes on by itself.
  const next = active.find((d) => d.sequence < failed.sequence);
  if (!next || next.state !== 'queued') return null;
  await deps.queue.send({ deploymentId: next.id, projectId: next.projectId });
  await deps.logs.append(next.id, [`▶ ${failed.id} could not check out its commit: this one is built instead.`], deps.clock.now().toISOString()).catch(() => undefined);
  return next;
}

/**
 * `failed` could not fetch its repository at all (unreachable, not found, credentials refused):
 * the older deployments that waited for it would fail the same way, one clone after another. If
 * nothing newer is pending, they end failed now, saying why; a push or `anchor deploy` builds
 * again once the repository can be fetched.
 */
export async function failOlder(deps: Pick<Ports, 'deployments' | 'logs' | 'clock'>, failed: Deployment): Promise<string[]> {
  const ended: string[] = [];
  for (;;) {
    const active = await deps.deployments.listByProject(failed.projectId, { limit: 50, states: ACTIVE_STATES });
    if (active.some((d) => d.sequence > failed.sequence)) return ended;
    const waiting = active.filter((d) => d.sequence < failed.sequence && d.state === 'queued' && !ended.includes(d.id));
    if (waiting.length === 0) return ended;
    const reason = `Not built: the newer push ${failed.id} could not fetch the repository, and this one would not either (${failed.reason ?? 'see its log'}). Push again, or run "anchor deploy" for the project, once it can be fetched.`;
    for (const d of waiting) {
      ended.push(d.id);
      const done = await deps.deployments.transition(d.id, ['queued'], 'failed', deps.clock.now().toISOString(), { reason });
      if (done) await deps.logs.append(d.id, [`✖ ${reason}`], deps.clock.now().toISOString()).catch(() => undefined);
    }
  }
}

export async function supersede(deps: SupersedeDeps, deployment: Deployment, by: Deployment): Promise<void> {
  const done = await deps.deployments.transition(deployment.id, ACTIVE_STATES, 'superseded', deps.clock.now().toISOString(), { reason: `A newer deployment (${by.id}) replaced it.` });
  if (!done) return;
  if (deployment.buildId && deployment.state === 'building') await deps.builder.stop(deployment.buildId);
  await deps.logs.append(deployment.id, [`⏭ Superseded by ${by.id}: only the newest push of a project is built.`], deps.clock.now().toISOString()).catch(() => undefined);
}

/** Every deployment older than `newer` still queued, building or built stops, its processes too. */
export async function supersedeOlder(deps: SupersedeDeps, newer: Deployment): Promise<string[]> {
  // Page by page, newest first: after a burst of 100 pushes, all 99 older ones end, not the first 49.
  const handled = new Set<string>();
  for (;;) {
    const active = await deps.deployments.listByProject(newer.projectId, { limit: 50, states: ['queued', 'building', 'built'] });
    const older = active.filter((d) => d.sequence < newer.sequence && !handled.has(d.id));
    if (older.length === 0) return [...handled];
    for (const d of older) {
      handled.add(d.id);
      await supersede(deps, d, newer);
    }
  }
}
