import type { Context } from '../cli/context.js';
import { siteUrl } from '../cli/platforms.js';
import { resolveLogTarget } from '../core/use-cases/deployments.js';
import { followDeployment } from './follow.js';
import { runtimeLogs } from './logs-runtime.js';

export default async function logs(ctx: Context, args: string[], options: Record<string, unknown>): Promise<void> {
  const [target = ''] = args;
  if (options.runtime) return runtimeLogs(ctx, target, Boolean(options.follow));
  const { ports, config } = await ctx.platform();
  const deployment = await resolveLogTarget(ports, target);
  const project = await ports.projects.getById(deployment.projectId);
  if (options.follow) {
    await followDeployment(ctx, ports, deployment.id, siteUrl(config, project?.name ?? 'site') ?? '');
    return;
  }
  // Page by page, each written out before the next is read: a 50 MB log needs no 50 MB of memory.
  let after = 0;
  for (;;) {
    const lines = await ports.logs.read(deployment.id, { after, limit: 2000 });
    if (lines.length === 0) break;
    for (const line of lines) {
      if (ctx.flags.json) ctx.ui.jsonLine({ type: 'line', deploymentId: deployment.id, n: line.n, at: line.at, text: line.text });
      else ctx.ui.out(line.text);
    }
    after = lines.at(-1)?.n ?? after;
    await ctx.ui.drained();
  }
  if (after === 0 && !ctx.flags.json) ctx.ui.info(`${deployment.id} has no log lines yet (${deployment.state}).`);
}
