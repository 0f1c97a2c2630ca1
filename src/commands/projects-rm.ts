import { AnchorError } from '../core/errors.js';
import type { Context } from '../cli/context.js';
import { getProject, removeProject } from '../core/use-cases/projects.js';
import { removeRemoteProject } from './projects-remote.js';

export default async function projectsRm(ctx: Context, args: string[]): Promise<void> {
  const [name = ''] = args;
  const remote = ctx.remotePlatform() && (await ctx.operations()).remote;
  if (remote) return removeRemoteProject(ctx, remote, name);
  const { config, ports, local } = await ctx.platform();
  await getProject(ports, name);
  const what = config.backend === 'aws' ? `, all its env vars and its AWS stack (functions, CloudFront distribution, site URL)` : ': its site, builds, env vars, logs and files';
  if (!ctx.flags.yes && !(await ctx.prompter.confirm(`Remove project "${name}"${what}? This cannot be undone.`, '--yes to confirm'))) {
    throw new AnchorError({ code: 'CANCELLED', kind: 'usage', message: `Project "${name}" was not removed.` });
  }
  // The stack first: if its deletion fails, the project is still there to retry with.
  const stack = config.backend === 'aws' ? await (await import('./project-stack.js')).deleteProjectStackFor(ctx, config, name) : null;
  // Locally: its processes, builds and files too, through the running server when there is one.
  const project = local ? await ctx.removeLocalProject(local, name) : await removeProject(ports, { name });
  ctx.ui.result({ removed: project.name, id: project.id, ...(stack ? { stack: stack.stack, stackDeleted: stack.deleted } : {}) }, () =>
    `${ctx.ui.colors.green('✔')} Removed project "${project.name}"${stack ? `, its env vars and stack ${stack.stack}` : ': its site, builds, env vars, logs and files'}.`,
  );
}
