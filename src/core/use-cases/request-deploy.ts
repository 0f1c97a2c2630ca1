import type { Deployment, Trigger } from '../deployment.js';
import { assertDeployRef, isCommitSha } from '../git-names.js';
import type { Project } from '../project.js';
import type { Ports } from '../ports/index.js';
import { getProject } from './projects.js';

export type EnqueueDeps = Pick<Ports, 'deployments' | 'queue' | 'logs' | 'clock' | 'ids'>;

/** Creates a deployment `queued` and puts its build job on the queue; durable when it resolves. */
export async function enqueueDeployment(
  deps: EnqueueDeps,
  project: Project,
  input: { ref: string; commitSha: string | null; commitMessage: string | null; trigger: Trigger; firstLine: string },
): Promise<Deployment> {
  const now = deps.clock.now().toISOString();
  const deployment = await deps.deployments.create({
    id: deps.ids.next('d'),
    projectId: project.id,
    state: 'queued',
    commitSha: input.commitSha,
    commitMessage: input.commitMessage,
    ref: input.ref,
    trigger: input.trigger,
    transitions: [{ state: 'queued', at: now }],
    reason: null,
    buildId: null,
    runtimeEnv: null,
    createdAt: now,
  });
  try {
    await deps.queue.send({ deploymentId: deployment.id, projectId: project.id });
  } catch (error) {
    await deps.deployments.transition(deployment.id, ['queued'], 'failed', deps.clock.now().toISOString(), { reason: 'The build job could not be queued.' });
    throw error;
  }
  // The job is queued, and that is what the caller waits for (a webhook answers GitHub within
  // milliseconds): the log lines are written behind it, and a log that cannot be written is no error.
  void deps.logs.append(deployment.id, [input.firstLine, `Queued as ${deployment.id} (#${deployment.sequence} of ${project.name}).`], now).catch(() => undefined);
  return deployment;
}

/** `anchor deploy`: build the branch head, or a given ref, now, without a push. */
export async function requestDeploy(deps: EnqueueDeps & Pick<Ports, 'projects'>, input: { project: string; ref?: string | undefined }): Promise<Deployment> {
  const project = await getProject(deps, input.project);
  const ref = input.ref?.trim() || project.branch;
  assertDeployRef(ref);
  const commitSha = isCommitSha(ref) ? ref : null;
  return enqueueDeployment(deps, project, {
    ref,
    commitSha,
    commitMessage: null,
    trigger: { kind: 'manual', ref },
    firstLine: `Deploy of ${ref} requested from the CLI.`,
  });
}
