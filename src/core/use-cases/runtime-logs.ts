import type { Deployment } from '../deployment.js';
import { AnchorError } from '../errors.js';
import type { Ports, RuntimeLogLine } from '../ports/index.js';
import { getDeployment } from './deployments.js';
import { getProject } from './projects.js';

/** `anchor logs <project | deploymentId> --runtime`: a deployment id, or the project's live deployment. */
export async function resolveRuntimeLogTarget(deps: Pick<Ports, 'projects' | 'deployments'>, target: string): Promise<Deployment> {
  if (/^d_[0-9a-z]+$/.test(target)) return getDeployment(deps, target);
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
  return getDeployment(deps, live.deploymentId);
}

/**
 * Reads a deployment's runtime log from the start of what is kept; with `signal`, keeps reading
 * what is added (a site runs on, so this ends only when the signal aborts).
 */
export async function readRuntimeLogs(
  deps: Pick<Ports, 'runtimeLogs' | 'clock'>,
  input: { deploymentId: string; follow?: { signal: AbortSignal; pollMs?: number }; onLines: (lines: RuntimeLogLine[]) => void },
): Promise<void> {
  let cursor: string | undefined;
  for (;;) {
    const read = await deps.runtimeLogs.read(input.deploymentId, cursor);
    cursor = read.cursor;
    if (read.lines.length > 0) input.onLines(read.lines);
    if (!input.follow || input.follow.signal.aborted) return;
    await deps.clock.sleep(input.follow.pollMs ?? 250, input.follow.signal);
    if (input.follow.signal.aborted) return;
  }
}
