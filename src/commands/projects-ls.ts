import type { Context } from '../cli/context.js';
import { table } from './table.js';

export default async function projectsLs(ctx: Context): Promise<void> {
  const rows = await (await ctx.operations()).listProjects();
  ctx.ui.result(
    rows,
    () => (rows.length === 0 ? 'No projects yet. Add one with: anchor projects add <name> --repo <repo>' : table(['NAME', 'REPO', 'BRANCH', 'LIVE'], rows.map((p) => [p.name, p.repo, p.branch, p.live ?? '—']))),
  );
}
