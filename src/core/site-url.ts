import type { Domain } from './domain.js';
import type { Domains } from './ports/domains.js';
import type { Clock } from './ports/system.js';
import type { Project } from './project.js';

/**
 * The address a project's visitors use, on both backends: its custom domain once a check measured
 * it active (the oldest such, never a www companion that only redirects), else the address the
 * backend gives every site (`<name>.localhost`, the CloudFront domain). A domain still pending or
 * misconfigured is not shown: a link to it would not work.
 */
export async function projectSiteUrl(deps: { domains: Pick<Domains, 'list'> | null; defaultUrl(project: Project): Promise<string | null> | string | null }, project: Project): Promise<string | null> {
  const domains = deps.domains ? await deps.domains.list({ projectId: project.id }) : [];
  const active = domains
    .filter((d) => d.state === 'active' && d.redirectTo === null)
    .sort((a, b) => (a.activeSince ?? a.createdAt).localeCompare(b.activeSince ?? b.createdAt))[0];
  return active ? `https://${active.name}` : deps.defaultUrl(project);
}

/**
 * The domains store read whole at most once per `ttlMs`, for a list of projects that asks for
 * each one's url: one read per page, not one per project (a domain becoming active shows within
 * `ttlMs`; checks run minutes apart anyway).
 */
export function recentDomains(domains: Pick<Domains, 'list'>, clock: Clock, ttlMs = 30_000): Pick<Domains, 'list'> {
  let read: { at: number; all: Promise<Domain[]> } | null = null;
  return {
    list: async (filter = {}) => {
      const now = clock.now().getTime();
      if (read === null || now - read.at >= ttlMs) {
        const current = { at: now, all: domains.list() };
        read = current;
        current.all.catch(() => {
          if (read === current) read = null;
        });
      }
      const all = await read.all;
      return filter.projectId === undefined ? all : all.filter((d) => d.projectId === filter.projectId);
    },
  };
}
