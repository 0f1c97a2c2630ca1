import type { Context } from '../cli/context.js';

export default async function rollbackCommand(ctx: Context, args: string[]): Promise<void> {
  const [project = '', to] = args;
  const ops = await ctx.operations();
  const { serverDeferred: deferred, ...result } = await ops.rollback({ project, to });
  const url = deferred ? null : await ops.siteUrl(project);
  ctx.ui.result({ ...result, serverRunning: !deferred }, () => [
    `${ctx.ui.colors.green('✔')} Rolled "${project}" back: ${result.to} is live again (was ${result.from}); no rebuild.`,
    deferred ? `  anchor server is not running: it will serve ${result.to} when it starts.` : `  Switched in ${result.flipMs} ms: ${url ?? ''}`,
  ]);
}
