import type { Context } from '../cli/context.js';
import { setProjectToken } from '../core/use-cases/projects.js';
import { projectTokenFromFlags } from './github-token.js';

export default async function projectsSetToken(ctx: Context, args: string[], options: Record<string, unknown>): Promise<void> {
  const [name = ''] = args;
  const remove = options.remove === true;
  const token = remove ? null : await projectTokenFromFlags(ctx, options, true);
  const { ports } = await ctx.platform();
  const { project, replaced } = await setProjectToken(ports, { name, token });
  ctx.ui.result({ project: project.name, githubToken: remove ? 'removed' : 'set', replaced }, () =>
    remove
      ? `${ctx.ui.colors.green('✔')} Project "${project.name}" has no GitHub token now${replaced ? '' : ' (it had none)'}: builds clone without credentials, and nothing is reported on GitHub.`
      : `${ctx.ui.colors.green('✔')} Project "${project.name}" has ${replaced ? 'a new' : 'a'} GitHub token: builds clone its repository with it, and deployments show on GitHub.`,
  );
}
