import { errorMessage } from '../../src/core/errors.js';
import type { DomainPorts, Ports } from '../../src/core/ports/index.js';
import { checkProjectDomains } from '../../src/core/use-cases/check-domains.js';
import { onAwsDomainPorts } from './platform-ports.js';

export type DomainsDeps = Pick<Ports, 'projects' | 'clock' | 'logger'> & DomainPorts;

/**
 * The schedule (infra/stack/platform-domains.ts) → the measured check of every project that has
 * custom domains. One project failing (a throttled API, a bad record) does not stop the others;
 * it is logged and checked again on the next run.
 */
export function makeDomainsHandler(ports: DomainsDeps): (event: unknown) => Promise<{ checked: Array<{ project: string; domains: Record<string, string> }>; failed: string[] }> {
  return async () => {
    const [projects, domains] = await Promise.all([ports.projects.list(), ports.domains.list()]);
    const checked = [];
    const failed: string[] = [];
    for (const project of projects.filter((p) => domains.some((d) => d.projectId === p.id))) {
      try {
        const result = await checkProjectDomains(ports, project);
        checked.push({ project: project.name, domains: Object.fromEntries(result.map((d) => [d.name, d.state])) });
      } catch (error) {
        failed.push(project.name);
        ports.logger.error('domains: the check of a project failed', { project: project.name, error: errorMessage(error) });
      }
    }
    return { checked, failed };
  };
}

export const handler = onAwsDomainPorts((ports) => makeDomainsHandler(ports));
