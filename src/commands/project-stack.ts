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
  const [{ assertProjectFitsAws }, { callerIdentity }, { CloudFormationStacks }, { S3HandlerUploader }, { deployProjectStack }] = await Promise.all([
    import('../../infra/stack/names.js'),
    import('../adapters/aws/sts-identity.js'),
    import('../adapters/aws/cloudformation-stacks.js'),
    import('../adapters/aws/handler-uploader.js'),
    import('../adapters/aws/aws-platform-stacks.js'),
  ]);
  assertProjectFitsAws(config.stage, project);
  const clients = ctx.aws(config.region);
  const identity = await callerIdentity(await clients.sts());
  const stacks = new CloudFormationStacks({ cloudFormation: await clients.cloudFormation(), pollMs: ctx.env.awsPollMs });
  const uploader = new S3HandlerUploader({ s3: await clients.s3(), account: identity.account, region: config.region });
  const result = await deployProjectStack({ stacks, uploader }, { stage: config.stage, project, platformOutputs: config.outputs, progress: stackProgress(ctx.ui) });
  if (result.action === 'none') ctx.ui.info(`  Stack ${result.stackName}: no changes.`);
  const saved = { ...config, updatedAt: new Date().toISOString(), projects: { ...config.projects, [project]: result.outputs } };
  ctx.store.save(saved);
  Object.assign(config, saved);
  return result.outputs;
}
