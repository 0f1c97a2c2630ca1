import type { Context } from '../cli/context.js';
import { siteUrl } from '../cli/platforms.js';
import { rollback } from '../core/use-cases/rollback.js';

export default async function rollbackCommand(ctx: Context, args: string[]): Promise<void> {
  const [project = '', to] = args;
  const platform = await ctx.platform();
  const result = await rollback(platform.ports, { project, to });
  const deferred = platform.serverDeferred();
  ctx.ui.result({ ...result, serverRunning: !deferred }, () => [
    `${ctx.ui.colors.green('✔')} Rolled "${project}" back: ${result.to} is live again (was ${result.from}); no rebuild.`,
    deferred ? `  anchor server is not running: it will serve ${result.to} when it starts.` : `  Switched in ${result.flipMs} ms: ${siteUrl(platform.config, project) ?? ''}`,
  ]);
}
