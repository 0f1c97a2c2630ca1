import type { Context } from '../cli/context.js';
import type { AwsPlatformConfig } from '../cli/platforms.js';
import { stackProgress } from '../cli/stack-progress.js';
import { assertProjectName } from '../core/project.js';

/**
 * `anchor projects add` on an aws platform: the project's stack (functions, CloudFront, asset
 * pointer) by change set, its outputs saved with the platform. Loaded only for aws platforms.
 */
export async function deployProjectStackFor(ctx: Context, config: AwsPlatformConfig, project: string): Promise<Record<string, string>> {
  assertProjectName(project);
  const provisioning = await ctx.provisioning(config.region);
  const result = await provisioning.deployProject({ stage: config.stage, project, platformOutputs: config.outputs, progress: stackProgress(ctx.ui), distributionId: config.projects[project]?.DistributionId ?? null });
  if (result.action === 'none') ctx.ui.info(`  Stack ${result.stackName}: no changes.`);
  const saved = { ...config, updatedAt: new Date().toISOString(), projects: { ...config.projects, [project]: result.outputs } };
  ctx.store.save(saved);
  Object.assign(config, saved);
  // Its distribution may read its own assets prefix from now on (and only that).
  await provisioning.writeAssetsPolicy(config);
  return result.outputs;
}

/**
 * `anchor projects rm` on an aws platform: the project's stack goes first (functions, CloudFront,
 * asset pointer, build role; CloudFront makes this take minutes), with progress, then its objects
 * in the platform's buckets and its SSM parameters, then its saved outputs. A failed deletion throws, so the project stays registered and the command can be run again.
 */
export async function deleteProjectStackFor(ctx: Context, config: AwsPlatformConfig, project: string): Promise<{ stack: string; deleted: boolean }> {
  const provisioning = await ctx.provisioning(config.region);
  const buckets = { artifacts: config.outputs['ArtifactsBucketName'] ?? '', assets: config.outputs['AssetsBucketName'] ?? '', cache: config.outputs['CacheBucketName'] ?? '' };
  const { stack, deleted } = await provisioning.deleteProject(config, project, stackProgress(ctx.ui), buckets);
  if (!deleted) ctx.ui.info(`  Stack ${stack}: already gone.`);
  const { [project]: _removed, ...projects } = config.projects;
  const saved = { ...config, updatedAt: new Date().toISOString(), projects };
  ctx.store.save(saved);
  Object.assign(config, saved);
  await provisioning.writeAssetsPolicy(config);
  return { stack, deleted };
}
