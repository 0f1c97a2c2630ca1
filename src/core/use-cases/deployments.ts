import { isEnded, phaseTimings, PIPELINE_ENDS, type Deployment, type PhaseTiming } from '../deployment.js';
import { AnchorError } from '../errors.js';
import { deploymentNotFound } from '../domain-errors.js';
import type { FunctionStatus, LogLine, Ports } from '../ports/index.js';
import { getProject } from './projects.js';
import { retainedIds } from './retention.js';

/** A deployment with what its functions are doing now, when the backend runs them (null: nothing runs it). */
export type DeploymentWithRuntime = Deployment & { runtime: FunctionStatus | null };

/**
 * A project's deployments, newest first, with the live one and the rollback targets: the retired
 * deployments retention keeps (retention.ts retainedIds), i.e. exactly those `rollback` can go to.
 */
export async function listDeployments(deps: Pick<Ports, 'projects' | 'deployments' | 'functionStates'>, input: { project: string; limit: number }): Promise<{ deployments: DeploymentWithRuntime[]; live: string | null; rollbackTargets: string[] }> {
  const project = await getProject(deps, input.project);
  const [deployments, live, wentLive] = await Promise.all([
    deps.deployments.listByProject(project.id, { limit: input.limit }),
    deps.deployments.getLive(project.id),
    deps.deployments.listByProject(project.id, { limit: 1000, states: ['live', 'retired'] }),
  ]);
  const runtime = await deps.functionStates.of(deployments.map((d) => d.id));
  const kept = retainedIds(wentLive, live?.deploymentId ?? null);
  const rollbackTargets = wentLive.filter((d) => d.state === 'retired' && kept.has(d.id)).map((d) => d.id);
  return { deployments: deployments.map((d) => ({ ...d, runtime: runtime.get(d.id) ?? null })), live: live?.deploymentId ?? null, rollbackTargets };
}

export async function getDeployment(deps: Pick<Ports, 'deployments'>, id: string): Promise<Deployment> {
  const deployment = await deps.deployments.get(id);
  if (!deployment) throw deploymentNotFound(id);
  return deployment;
}

export async function showDeployment(deps: Pick<Ports, 'projects' | 'deployments' | 'logs' | 'functionStates' | 'clock'>, input: { id: string; tail: number }): Promise<{ deployment: Deployment; project: string | null; phases: PhaseTiming[]; totalMs: number | null; lastLines: LogLine[]; live: boolean; runtime: FunctionStatus | null }> {
  const deployment = await getDeployment(deps, input.id);
  const [project, live, lastLines, runtime] = await Promise.all([deps.projects.getById(deployment.projectId), deps.deployments.getLive(deployment.projectId), deps.logs.tail(deployment.id, input.tail), deps.functionStates.of([deployment.id])]);
  const phases = phaseTimings(deployment, isEnded(deployment.state) ? undefined : deps.clock.now());
  const first = deployment.transitions[0];
  const endOfPipeline = [...deployment.transitions].reverse().find((t) => PIPELINE_ENDS.includes(t.state));
  const totalMs = first && endOfPipeline ? Date.parse(endOfPipeline.at) - Date.parse(first.at) : null;
  return { deployment, project: project?.name ?? null, phases, totalMs, lastLines, live: live?.deploymentId === deployment.id, runtime: runtime.get(deployment.id) ?? null };
}

/** `anchor logs <project | deploymentId>`: a deployment id, or a project's newest deployment. */
export async function resolveLogTarget(deps: Pick<Ports, 'projects' | 'deployments'>, target: string): Promise<Deployment> {
  if (/^d_[0-9a-z]+$/.test(target)) return getDeployment(deps, target);
  const project = await getProject(deps, target);
  const [newest] = await deps.deployments.listByProject(project.id, { limit: 1 });
  if (!newest) {
    throw new AnchorError({ code: 'NO_DEPLOYMENTS', kind: 'not-found', message: `"${project.name}" has no deployments yet.`, hint: `Push to ${project.branch}, or run "anchor deploy ${project.name}".` });
  }
  return newest;
}

/**
 * Streams a deployment's log from `after` until the deployment reaches an end and every line is
 * read. No time cap: a build that takes an hour is followed for an hour.
 */
export async function followLogs(
  deps: Pick<Ports, 'deployments' | 'logs' | 'clock'>,
  input: { deploymentId: string; after?: number; pollMs?: number; signal?: AbortSignal; onLines: (lines: LogLine[]) => void },
): Promise<Deployment> {
  let after = input.after ?? 0;
  let settled = false;
  for (;;) {
    // Read the state before the lines: lines written before the end are then all seen.
    const deployment = await getDeployment(deps, input.deploymentId);
    for (;;) {
      const lines = await deps.logs.read(input.deploymentId, { after, limit: 1000 });
      if (lines.length === 0) break;
      input.onLines(lines);
      after = lines[lines.length - 1]?.n ?? after;
    }
    if (input.signal?.aborted) return deployment;
    if (isEnded(deployment.state)) {
      // The pipeline writes its closing line just after the state changes: read once more.
      if (settled) return deployment;
      settled = true;
    }
    await deps.clock.sleep(input.pollMs ?? 100, input.signal);
  }
}
