import { ACTIVE_STATES, type Deployment, type DeploymentState } from '../deployment.js';
import { errorMessage } from '../errors.js';
import type { Ports } from '../ports/index.js';
import { deployBuilt, type DeployDeps } from './deploy.js';
import { finishBuild, type JobOutcome } from './run-build.js';
import { resumeOlder } from './supersede.js';

export type ReconcileDeps = DeployDeps & Pick<Ports, 'builder' | 'queue' | 'logger'>;

export interface Settled {
  deploymentId: string;
  /** The state it was stuck in. */
  was: DeploymentState;
  outcome: JobOutcome | 'still-building';
}

const STUCK_STATES: readonly DeploymentState[] = ['building', 'built', 'deploying'];

/**
 * Settles deployments whose end never arrived: a build's state event is best effort, and a deploy
 * function can die mid-deploy. Run on a schedule (aws: every 10 minutes). A deployment is looked
 * at once it has been in its state longer than `stuckAfterMs` (the build timeout):
 * - `building`: the builder says how its build is; an ended build is settled with that end (as
 *   the lost event would have), a running one is left (the builder enforces its own timeout), and
 *   one the builder never started fails once even the job's last try would be over.
 * - `built` / `deploying`: the stored output is deployed again (the compare-and-swap still
 *   refuses to put an older one live over a newer one).
 * One deployment failing to settle does not stop the others; it is logged and tried next run.
 */
export async function reconcileStuck(deps: ReconcileDeps, input: { stuckAfterMs: number }): Promise<Settled[]> {
  const now = deps.clock.now().getTime();
  const settled: Settled[] = [];
  for (const project of await deps.projects.list()) {
    const active = await deps.deployments.listByProject(project.id, { states: STUCK_STATES, limit: 100 });
    // Oldest first: the order their events would have come in.
    for (const deployment of active.reverse()) {
      const since = now - enteredAt(deployment);
      if (since < input.stuckAfterMs) continue;
      try {
        const outcome = await settle(deps, deployment, since, input.stuckAfterMs);
        if (outcome) settled.push({ deploymentId: deployment.id, was: deployment.state, outcome });
      } catch (error) {
        deps.logger.error('reconcile: could not settle a deployment', { deploymentId: deployment.id, state: deployment.state, error: errorMessage(error) });
      }
    }
  }
  return settled;
}

async function settle(deps: ReconcileDeps, deployment: Deployment, since: number, stuckAfterMs: number): Promise<Settled['outcome'] | null> {
  if (deployment.state !== 'building') {
    await note(deps, deployment.id, `▸ Its deploy step never finished (${minutes(since)} in ${deployment.state}): deploying the stored build output again.`);
    return (await deployBuilt(deps, deployment.id)) ? 'live' : 'not-live';
  }
  const status = await deps.builder.status({ deploymentId: deployment.id, buildId: deployment.buildId });
  if (status.state === 'running') return 'still-building';
  if (status.state === 'ended' && !status.end.ok && status.end.stopped) {
    await abandonDeployment(deps, deployment.id, 'Its build was stopped and nothing took it over; deploy again.');
    return 'failed';
  }
  if (status.state === 'ended') {
    if (status.buildId !== deployment.buildId) await deps.deployments.update(deployment.id, { buildId: status.buildId });
    await note(deps, deployment.id, `▸ The build's end never reached the platform; settled from the build's own record.`);
    return finishBuild(deps, deployment.id, status.end);
  }
  // No build at all: its job may still be retried, until its last try would be over.
  if (since < stuckAfterMs * deps.queue.maxAttempts) return null;
  await abandonDeployment(deps, deployment.id, `No build of it ever started (${minutes(since)} in building); deploy again.`);
  return 'failed';
}

/**
 * A deployment the platform cannot carry on with (its end event failed to be handled every time)
 * ends `failed` with the reason; a build of it that still runs is stopped. What waited for it to
 * check its commit out is built now, as after a dead job.
 */
export async function abandonDeployment(deps: Pick<Ports, 'deployments' | 'logs' | 'clock' | 'builder' | 'queue'>, deploymentId: string, reason: string): Promise<boolean> {
  const deployment = await deps.deployments.get(deploymentId);
  if (!deployment || !ACTIVE_STATES.includes(deployment.state)) return false;
  if (deployment.buildId && deployment.state === 'building') await deps.builder.stop(deployment.buildId).catch(() => undefined);
  const at = deps.clock.now().toISOString();
  const failed = await deps.deployments.transition(deploymentId, ACTIVE_STATES, 'failed', at, { reason });
  if (!failed) return false;
  await deps.logs.append(deploymentId, [`✖ ${reason}`], at).catch(() => undefined);
  await resumeOlder(deps, failed);
  return true;
}

function enteredAt(deployment: Deployment): number {
  const last = deployment.transitions.at(-1);
  return Date.parse(last?.at ?? deployment.updatedAt);
}

function minutes(ms: number): string {
  return `${Math.round(ms / 60_000)} min`;
}

async function note(deps: Pick<Ports, 'logs' | 'clock'>, deploymentId: string, line: string): Promise<void> {
  await deps.logs.append(deploymentId, [line], deps.clock.now().toISOString()).catch(() => undefined);
}
