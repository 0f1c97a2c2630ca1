import type { Context } from '../cli/context.js';
import { describeRepo } from '../core/project.js';
import { listProjects } from '../core/use-cases/projects.js';
import { table } from './table.js';

export default async function projectsLs(ctx: Context): Promise<void> {
  const { ports } = await ctx.platform();
  const rows = await listProjects(ports);
  ctx.ui.result(
    rows.map(({ project, live }) => ({ name: project.name, id: project.id, repo: describeRepo(project.repo), branch: project.branch, live })),
    () => (rows.length === 0 ? 'No projects yet. Add one with: anchor projects add <name> --repo <repo>' : table(['NAME', 'REPO', 'BRANCH', 'LIVE'], rows.map(({ project, live }) => [project.name, describeRepo(project.repo), project.branch, live ?? '—']))),
  );
}
