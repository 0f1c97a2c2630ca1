import type { Context } from '../cli/context.js';

export default async function envRm(ctx: Context, args: string[]): Promise<void> {
  const [project = '', key = ''] = args;
  await (await ctx.operations()).removeEnv({ project, key });
  ctx.ui.result({ project, removed: key }, () => `${ctx.ui.colors.green('✔')} Removed ${key} from "${project}". It applies from the next deployment.`);
}
