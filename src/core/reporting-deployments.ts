import type { DeploymentReporter } from './deployment-reporter.js';
import type { Deployments } from './ports/deployments.js';

/**
 * The Deployments port, telling a reporter about every change it stores: a deployment created,
 * a transition that took place, a deployment that took `live` (a deploy or a rollback). Wrapping
 * the port catches every state change of the pipeline, on both backends, in one place; the
 * reporter only schedules its work, so each call here returns as fast as the store's.
 */
export function reportingDeployments(inner: Deployments, reporter: Pick<DeploymentReporter, 'report' | 'reportLater'>): Deployments {
  return {
    create: async (input) => {
      const created = await inner.create(input);
      reporter.report(created);
      return created;
    },
    get: (id) => inner.get(id),
    listByProject: (projectId, options) => inner.listByProject(projectId, options),
    transition: async (id, from, to, at, patch) => {
      const moved = await inner.transition(id, from, to, at, patch);
      if (moved) reporter.report(moved);
      return moved;
    },
    update: (id, patch) => inner.update(id, patch),
    getLive: (projectId) => inner.getLive(projectId),
    promote: async (input) => {
      const result = await inner.promote(input);
      // Reported as live even if a newer flip retired it before the report's turn came: it was live.
      if (result.ok) {
        reporter.reportLater({ id: input.deploymentId, projectId: input.projectId }, async () => {
          const deployment = await inner.get(input.deploymentId);
          return deployment && { ...deployment, state: 'live' };
        });
      }
      return result;
    },
    remove: (id) => inner.remove(id),
  };
}
