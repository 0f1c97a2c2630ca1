import type { Context } from '../cli/context.js';
import { followDeployment } from './follow.js';

export default async function deploy(ctx: Context, args: string[], options: Record<string, unknown>): Promise<void> {
  const [project = ''] = args;
  const ops = await ctx.operations();
  const deployment = await ops.requestDeploy({ project, ref: options.ref as string | undefined });
  if (options.follow) {
    await followDeployment(ctx, ops, { deploymentId: deployment.id, project, state: deployment.state }, (await ops.siteUrl(project)) ?? '');
    return;
  }
  ctx.ui.result({ deploymentId: deployment.id, project, ref: deployment.ref, state: deployment.state }, () => [
    `${ctx.ui.colors.green('✔')} Queued ${deployment.id} (${deployment.ref}) for "${project}".`,
    `  Follow it: anchor logs ${deployment.id} --follow`,
  ]);
}
