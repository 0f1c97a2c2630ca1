import { AnchorError } from '../core/errors.js';
import type { Context } from '../cli/context.js';
import { getProject, removeProject } from '../core/use-cases/projects.js';

export default async function projectsRm(ctx: Context, args: string[]): Promise<void> {
  const [name = ''] = args;
  const { ports } = await ctx.platform();
  await getProject(ports, name);
  if (!ctx.flags.yes && !(await ctx.prompter.confirm(`Remove project "${name}" and all its env vars? This cannot be undone.`, '--yes to confirm'))) {
    throw new AnchorError({ code: 'CANCELLED', kind: 'usage', message: `Project "${name}" was not removed.` });
  }
  const project = await removeProject(ports, { name });
  ctx.ui.result({ removed: project.name, id: project.id }, () => `${ctx.ui.colors.green('✔')} Removed project "${project.name}" and its env vars.`);
}
