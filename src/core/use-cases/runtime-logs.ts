import type { Deployment, DeploymentRef } from '../deployment.js';
import { deploymentNotFound } from '../domain-errors.js';
import { AnchorError } from '../errors.js';
import type { Ports, RuntimeLogLine } from '../ports/index.js';
import { getDeployment } from './deployments.js';
import { getProject } from './projects.js';

/**
 * `anchor logs <project | deploymentId> --runtime`: a deployment id, or the project's live
 * deployment; with the project's name, which the runtime log is filed under on some backends.
 */
export async function resolveRuntimeLogTarget(deps: Pick<Ports, 'projects' | 'deployments'>, target: string): Promise<{ deployment: Deployment; ref: DeploymentRef }> {
  if (/^d_[0-9a-z]+$/.test(target)) {
    const deployment = await getDeployment(deps, target);
    const owner = await deps.projects.getById(deployment.projectId);
    if (!owner) throw deploymentNotFound(target);
    return { deployment, ref: { projectName: owner.name, deploymentId: deployment.id } };
  }
  const project = await getProject(deps, target);
  const live = await deps.deployments.getLive(project.id);
  if (!live) {
    throw new AnchorError({
      code: 'NOTHING_LIVE',
      kind: 'not-found',
      message: `"${project.name}" has nothing live, so nothing of it runs to have logged anything.`,
      hint: `Its build logs: anchor logs ${project.name}. The runtime log of a deployment that ran: anchor logs <deploymentId> --runtime.`,
    });
  }
  const deployment = await getDeployment(deps, live.deploymentId);
  return { deployment, ref: { projectName: project.name, deploymentId: deployment.id } };
}

/**
 * Reads a deployment's runtime log from the start of what is kept; with `signal`, keeps reading
 * what is added (a site runs on, so this ends only when the signal aborts).
 */
export async function readRuntimeLogs(
  deps: Pick<Ports, 'runtimeLogs' | 'clock'>,
  input: { ref: DeploymentRef; follow?: { signal: AbortSignal; pollMs?: number }; onLines: (lines: RuntimeLogLine[]) => void },
): Promise<void> {
  let cursor: string | undefined;
  for (;;) {
    const read = await deps.runtimeLogs.read(input.ref, cursor);
    cursor = read.cursor;
    if (read.lines.length > 0) input.onLines(read.lines);
    if (!input.follow || input.follow.signal.aborted) return;
    await deps.clock.sleep(input.follow.pollMs ?? 250, input.follow.signal);
    if (input.follow.signal.aborted) return;
  }
}
