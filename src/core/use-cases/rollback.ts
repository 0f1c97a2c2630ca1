import { AnchorError } from '../errors.js';
import { deploymentNotFound } from '../domain-errors.js';
import type { Ports } from '../ports/index.js';
import { getProject } from './projects.js';
import { previousLive } from './retention.js';
import { openEnvSnapshot } from './env.js';

export type RollbackDeps = Pick<Ports, 'projects' | 'deployments' | 'artifacts' | 'staticHost' | 'functions' | 'secrets' | 'logs' | 'clock'>;

export interface Rollback {
  project: string;
  from: string;
  to: string;
  /** Time from the compare-and-swap to traffic served by the target. */
  flipMs: number;
}

/**
 * DESIGN.md step 4: point `live` back at a retained deployment, functions, assets and env together,
 * without a rebuild. By default the deployment that was live just before the current one.
 */
export async function rollback(deps: RollbackDeps, input: { project: string; to?: string | undefined }): Promise<Rollback> {
  const project = await getProject(deps, input.project);
  const live = await deps.deployments.getLive(project.id);
  if (!live) {
    throw new AnchorError({ code: 'NOTHING_LIVE', kind: 'conflict', message: `"${project.name}" has no live deployment to roll back from.`, hint: `Deploy it first: anchor deploy ${project.name}` });
  }
  const history = await deps.deployments.listByProject(project.id, { limit: 1000 });
  const targetId = input.to ?? previousLive(history, live.deploymentId);
  if (!targetId) {
    throw new AnchorError({ code: 'NO_ROLLBACK_TARGET', kind: 'conflict', message: `"${project.name}" has only ever had one live deployment (${live.deploymentId}); there is nothing to roll back to.`, hint: `Run "anchor deployments ls ${project.name}" to see its deployments.` });
  }
  const target = await deps.deployments.get(targetId);
  if (!target || target.projectId !== project.id) {
    throw deploymentNotFound(targetId, { name: project.name });
  }
  if (target.id === live.deploymentId) {
    throw new AnchorError({ code: 'ALREADY_LIVE', kind: 'conflict', message: `${target.id} is already live on "${project.name}".`, hint: `Run "anchor deployments ls ${project.name}" to pick another one.` });
  }
  if (target.state !== 'retired') {
    throw new AnchorError({ code: 'NOT_ROLLBACKABLE', kind: 'conflict', message: `${target.id} never went live (it is ${target.state}), so there is nothing to roll back to.`, hint: 'Pick a deployment whose state is retired: anchor deployments ls ' + project.name });
  }
  const artifact = await deps.artifacts.get({ projectName: project.name, deploymentId: target.id });
  if (!artifact) {
    throw new AnchorError({ code: 'NOT_RETAINED', kind: 'conflict', message: `${target.id} is no longer retained: its build output was cleaned up.`, hint: `Deploy its commit again instead: anchor deploy ${project.name} --ref ${target.commitSha ?? target.ref}` });
  }
  const env = await openEnvSnapshot(deps, target.runtimeEnv);
  // Started now (it may have been stopped when idle): the flip then serves it at once.
  const version = await deps.functions.publish({ projectName: project.name, deploymentId: target.id, artifact, env: env.values, secretValues: env.secretValues });
  // Refused or failed before the flip: what was brought up for the target goes again, as a deploy that does not go live lets its version go.
  const letGo = async (error: unknown): Promise<never> => {
    await deps.functions.release(project.name, target.id).catch(() => undefined);
    throw error;
  };
  await deps.functions.smoke(version, project.name).catch(letGo);
  const started = deps.clock.now().getTime();
  const result = await deps.deployments.promote({ projectId: project.id, deploymentId: target.id, expectedRevision: live.revision, onlyIfNewer: false, at: deps.clock.now().toISOString() }).catch(letGo);
  if (!result.ok) {
    return letGo(new AnchorError({ code: 'LIVE_CHANGED', kind: 'conflict', message: `The live deployment of "${project.name}" changed while rolling back; nothing was changed.`, hint: `Check "anchor deployments ls ${project.name}" and run the rollback again.` }));
  }
  await deps.staticHost.activate(project.name, target.id);
  await deps.functions.activate(project.name, version, result.pointer.revision);
  const flipMs = deps.clock.now().getTime() - started;
  const at = deps.clock.now().toISOString();
  await deps.logs.append(target.id, [`↩ Rolled back to this deployment (from ${live.deploymentId}).`], at).catch(() => undefined);
  await deps.logs.append(live.deploymentId, [`↩ Rolled back from this deployment to ${target.id}.`], at).catch(() => undefined);
  return { project: project.name, from: live.deploymentId, to: target.id, flipMs };
}
