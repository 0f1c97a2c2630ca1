import { z } from 'zod';
import { AnchorError } from '../../../core/errors.js';
import { deploymentNotFound } from '../../../core/domain-errors.js';
import type { Ports } from '../../../core/ports/index.js';
import { openEnvSnapshot } from '../../../core/use-cases/env.js';
import type { LocalFunctionHost } from '../runtime/local-function-host.js';
import { badInput, type ControlAction } from './control-socket.js';

/** Exactly a deployment id: any other field (a project name, a revision) is refused, not ignored. */
const ByDeployment = z.object({ deploymentId: z.string().regex(/^d_[0-9a-z]{1,64}$/, 'a deployment id looks like d_01j…') }).strict();
const ByProject = z.object({ projectId: z.string().regex(/^p_[0-9a-z]{1,64}$/, 'a project id looks like p_01j…') }).strict();

type Deps = Pick<Ports, 'projects' | 'deployments' | 'artifacts' | 'secrets' | 'staticHost'>;

/**
 * The control socket's actions. Each takes an id and reads the rest (project, artifact, env
 * snapshot, live revision) from the store: the caller is trusted with nothing.
 */
export function controlActions(deps: Deps & { functions: LocalFunctionHost; removeProject: (projectId: string) => Promise<unknown> }): Record<string, ControlAction> {
  const started = async (body: unknown) => {
    const { deployment, project } = await load(deps, body);
    if (deployment.state !== 'live' && deployment.state !== 'retired') {
      throw new AnchorError({ code: 'NOT_ROLLBACKABLE', kind: 'conflict', message: `${deployment.id} never went live (it is ${deployment.state}).`, hint: `Run "anchor deployments ls ${project.name}" to pick one that did.` });
    }
    const artifact = await deps.artifacts.get({ projectName: project.name, deploymentId: deployment.id });
    if (!artifact) throw new AnchorError({ code: 'NOT_RETAINED', kind: 'conflict', message: `${deployment.id} is no longer retained: its build output was cleaned up.` });
    const env = (await openEnvSnapshot(deps, deployment.runtimeEnv)).values;
    const version = await deps.functions.publish({ projectName: project.name, deploymentId: deployment.id, artifact, env });
    return { deployment, project, version };
  };
  return {
    publish: async (body) => {
      const { deployment } = await started(body);
      return { deploymentId: deployment.id };
    },
    smoke: async (body) => {
      const { project, version } = await started(body);
      await deps.functions.smoke(version, project.name);
      return { ok: true };
    },
    // Routes the project's traffic to the deployment its live pointer names, at the pointer's revision.
    activate: async (body) => {
      const { deployment, project, version } = await started(body);
      const live = await deps.deployments.getLive(project.id);
      if (live?.deploymentId !== deployment.id) {
        throw new AnchorError({ code: 'NOT_LIVE', kind: 'conflict', message: `${deployment.id} is not the live deployment of "${project.name}" (${live?.deploymentId ?? 'nothing'} is).`, hint: `Run "anchor rollback ${project.name} ${deployment.id}" to make it live.` });
      }
      await deps.staticHost.activate(project.name, deployment.id);
      await deps.functions.activate(project.name, version, live.revision);
      return { ok: true, revision: live.revision };
    },
    release: async (body) => {
      const { deployment, project } = await load(deps, body);
      await deps.functions.release(project.name, deployment.id);
      return { ok: true };
    },
    'remove-project': async (body) => {
      const parsed = ByProject.safeParse(body);
      if (!parsed.success) throw badInput(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; '));
      return deps.removeProject(parsed.data.projectId);
    },
  };
}

async function load(deps: Deps, body: unknown) {
  const parsed = ByDeployment.safeParse(body);
  if (!parsed.success) throw badInput(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; '));
  const deployment = await deps.deployments.get(parsed.data.deploymentId);
  if (!deployment) throw deploymentNotFound(parsed.data.deploymentId);
  const project = await deps.projects.getById(deployment.projectId);
  if (!project) throw deploymentNotFound(deployment.id);
  return { deployment, project };
}
