import type { Context } from '../cli/context.js';
import { followDeployment } from './follow.js';
import { runtimeLogs } from './logs-runtime.js';

export default async function logs(ctx: Context, args: string[], options: Record<string, unknown>): Promise<void> {
  const [target = ''] = args;
  if (options.runtime) return runtimeLogs(ctx, target, Boolean(options.follow));
  const ops = await ctx.operations();
  const deployment = await ops.resolveLogTarget(target);
  if (options.follow) {
    await followDeployment(ctx, ops, deployment, (await ops.siteUrl(deployment.project ?? 'site').catch(() => null)) ?? '');
    return;
  }
  // Page by page, each written out before the next is read: a 50 MB log needs no 50 MB of memory.
  let after = 0;
  for (;;) {
    const lines = await ops.readLogs(deployment, { after, limit: 2000 });
    if (lines.length === 0) break;
    for (const line of lines) {
      if (ctx.flags.json) ctx.ui.jsonLine({ type: 'line', deploymentId: deployment.deploymentId, n: line.n, at: line.at, text: line.text });
      else ctx.ui.out(line.text);
    }
    after = lines.at(-1)?.n ?? after;
    await ctx.ui.drained();
  }
  if (after === 0 && !ctx.flags.json) ctx.ui.info(`${deployment.deploymentId} has no log lines yet (${deployment.state}).`);
}
