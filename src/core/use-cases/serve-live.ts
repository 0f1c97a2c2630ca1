import { errorMessage } from '../errors.js';
import type { Ports } from '../ports/index.js';
import { openEnvSnapshot } from './env.js';

export type ServeLiveDeps = Pick<Ports, 'projects' | 'deployments' | 'artifacts' | 'functions' | 'staticHost' | 'secrets' | 'logger'>;

/**
 * Brings every project's live deployment up on a function host that starts empty (the local
 * server after a restart): same artifact, same env snapshot, same live revision. With `behind`,
 * only the projects the host serves an older revision of (a flip it was not told about).
 */
export async function serveLive(
  deps: ServeLiveDeps,
  input: { behind?: (projectName: string, liveRevision: number) => boolean } = {},
): Promise<Array<{ project: string; deploymentId: string; ok: boolean; error?: string }>> {
  const results = [];
  for (const project of await deps.projects.list()) {
    const live = await deps.deployments.getLive(project.id);
    if (!live || (input.behind && !input.behind(project.name, live.revision))) continue;
    try {
      const [deployment, artifact] = await Promise.all([deps.deployments.get(live.deploymentId), deps.artifacts.get({ projectName: project.name, deploymentId: live.deploymentId })]);
      if (!deployment || !artifact) throw new Error('its build output is no longer stored');
      const env = await openEnvSnapshot(deps, deployment.runtimeEnv);
      // What was live before comes back ready, not running: each site starts with its first request.
      const version = await deps.functions.publish({ projectName: project.name, deploymentId: deployment.id, artifact, env: env.values, secretValues: env.secretValues, start: 'on-demand' });
      await deps.staticHost.activate(project.name, deployment.id);
      await deps.functions.activate(project.name, version, live.revision);
      results.push({ project: project.name, deploymentId: deployment.id, ok: true });
    } catch (error) {
      deps.logger.error(`could not serve ${project.name}'s live deployment ${live.deploymentId}`, { error: errorMessage(error) });
      results.push({ project: project.name, deploymentId: live.deploymentId, ok: false, error: errorMessage(error) });
    }
  }
  return results;
}
