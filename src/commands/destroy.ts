import { AnchorError } from '../core/errors.js';
import type { Context } from '../cli/context.js';

export default async function destroy(ctx: Context, _args: string[], options: Record<string, unknown>): Promise<void> {
  const config = ctx.store.resolveHosted(ctx.platformName, 'destroy');
  // The AWS side (and the SDK) loads only for an aws platform.
  if (config.backend === 'aws') return (await import('./destroy-aws.js')).destroyAws(ctx, config, options.force === true);
  if (!ctx.flags.yes && !(await ctx.prompter.confirm(`Delete platform "${config.name}" (${config.dir}): every project, deployment, log and secret in it?`, '--yes to confirm'))) {
    throw new AnchorError({ code: 'CANCELLED', kind: 'usage', message: `Platform "${config.name}" was not deleted.` });
  }
  // Never under a running server's feet: the lock is held until everything is gone.
  const { destroyLocalPlatform } = await import('../adapters/local/platform-removal.js');
  destroyLocalPlatform(config.dir);
  if (ctx.store.defaultName() === config.name) ctx.store.clearDefault();
  ctx.ui.result({ destroyed: config.name, dir: config.dir, kept: [] }, () => `${ctx.ui.colors.green('✔')} Deleted platform "${config.name}" and everything in ${config.dir}.`);
}
