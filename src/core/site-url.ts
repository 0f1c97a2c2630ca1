import type { Domains } from './ports/domains.js';
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
