import type { Context } from '../cli/context.js';
import { siteUrl } from '../cli/platforms.js';
import { requestDeploy } from '../core/use-cases/request-deploy.js';
import { followDeployment } from './follow.js';

export default async function deploy(ctx: Context, args: string[], options: Record<string, unknown>): Promise<void> {
  const [project = ''] = args;
  const { ports, config } = await ctx.platform();
  const deployment = await requestDeploy(ports, { project, ref: options.ref as string | undefined });
  if (options.follow) {
    await followDeployment(ctx, ports, deployment.id, siteUrl(config, project) ?? '');
    return;
  }
  ctx.ui.result({ deploymentId: deployment.id, project, ref: deployment.ref, state: deployment.state }, () => [
    `${ctx.ui.colors.green('✔')} Queued ${deployment.id} (${deployment.ref}) for "${project}".`,
    `  Follow it: anchor logs ${deployment.id} --follow`,
  ]);
}
