import type { Context } from '../cli/context.js';
import { removeEnv } from '../core/use-cases/env.js';

export default async function envRm(ctx: Context, args: string[]): Promise<void> {
  const [project = '', key = ''] = args;
  const { ports } = await ctx.platform();
  await removeEnv(ports, { project, key });
  ctx.ui.result({ project, removed: key }, () => `${ctx.ui.colors.green('✔')} Removed ${key} from "${project}". It applies from the next deployment.`);
}
