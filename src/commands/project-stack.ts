import { AnchorError } from '../core/errors.js';
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
  const [{ assertProjectFitsAws, projectStackName }, { callerIdentity }, { CloudFormationStacks }, { S3HandlerUploader }, { deployProjectStack }, { currentDistributionDomains }] = await Promise.all([
    import('../adapters/aws/resource-names.js'),
    import('../adapters/aws/sts-identity.js'),
    import('../adapters/aws/cloudformation-stacks.js'),
    import('../adapters/aws/handler-uploader.js'),
    import('../adapters/aws/aws-platform-stacks.js'),
    import('../adapters/aws/cloudfront-domain-routing.js'),
  ]);
  assertProjectFitsAws(config.stage, project);
  const clients = ctx.aws(config.region);
  const identity = await callerIdentity(await clients.sts());
  const stacks = new CloudFormationStacks({ cloudFormation: await clients.cloudFormation(), pollMs: ctx.env.awsPollMs });
  const uploader = new S3HandlerUploader({ s3: await clients.s3(), account: identity.account, region: config.region });
  // An update writes back the custom domains the platform set on the distribution (infra/stack/project-domains.ts).
  const distribution = config.projects[project]?.DistributionId ?? (await stacks.describe(projectStackName(config.stage, project)))?.outputs.DistributionId;
  const domains = distribution ? await currentDistributionDomains(await clients.cloudFront(), distribution) : { aliases: [], certificateArn: null };
  const result = await deployProjectStack({ stacks, uploader }, { stage: config.stage, project, platformOutputs: config.outputs, progress: stackProgress(ctx.ui), domains });
  if (result.action === 'none') ctx.ui.info(`  Stack ${result.stackName}: no changes.`);
  const saved = { ...config, updatedAt: new Date().toISOString(), projects: { ...config.projects, [project]: result.outputs } };
  ctx.store.save(saved);
  Object.assign(config, saved);
  return result.outputs;
}

/**
 * `anchor projects rm` on an aws platform: the project's stack goes first (functions, CloudFront,
 * asset pointer, build role; CloudFront makes this take minutes), with progress, then its saved
 * outputs. A failed deletion throws, so the project stays registered and the command can be run again.
 */
export async function deleteProjectStackFor(ctx: Context, config: AwsPlatformConfig, project: string): Promise<{ stack: string; deleted: boolean }> {
  const [{ projectStackName }, { callerIdentity }, { CloudFormationStacks }] = await Promise.all([
    import('../adapters/aws/resource-names.js'),
    import('../adapters/aws/sts-identity.js'),
    import('../adapters/aws/cloudformation-stacks.js'),
  ]);
  const clients = ctx.aws(config.region);
  const identity = await callerIdentity(await clients.sts());
  if (identity.account !== config.account) {
    throw new AnchorError({ code: 'AWS_WRONG_ACCOUNT', kind: 'auth', message: `These credentials are for account ${identity.account}; platform "${config.name}" is in ${config.account}.`, hint: `Switch AWS_PROFILE to the platform’s account and run "anchor projects rm ${project}" again.` });
  }
  const stacks = new CloudFormationStacks({ cloudFormation: await clients.cloudFormation(), pollMs: ctx.env.awsPollMs });
  const stack = projectStackName(config.stage, project);
  const progress = stackProgress(ctx.ui);
  progress.step(`Deleting stack ${stack}`);
  const deleted = await stacks.delete(stack, { onEvent: progress.event, retryCommand: `anchor projects rm ${project}` });
  if (!deleted) ctx.ui.info(`  Stack ${stack}: already gone.`);
  const { [project]: _removed, ...projects } = config.projects;
  const saved = { ...config, updatedAt: new Date().toISOString(), projects };
  ctx.store.save(saved);
  Object.assign(config, saved);
  return { stack, deleted };
}
