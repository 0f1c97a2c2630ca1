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
  const lines = await ports.logs.read(deployment.id, { after: 0 });
  if (ctx.flags.json) {
    for (const line of lines) ctx.ui.jsonLine({ type: 'line', deploymentId: deployment.id, n: line.n, at: line.at, text: line.text });
    return;
  }
  for (const line of lines) ctx.ui.out(line.text);
  if (lines.length === 0) ctx.ui.info(`${deployment.id} has no log lines yet (${deployment.state}).`);
}
