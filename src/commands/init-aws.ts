import { AnchorError } from '../core/errors.js';
import type { Context } from '../cli/context.js';
import { PlatformStore, type AwsPlatformConfig } from '../cli/platforms.js';
import { stackProgress } from '../cli/stack-progress.js';
import { sub } from '../../infra/stack/cfn.js';
import { assertProjectFitsAws, assertStage } from '../adapters/aws/resource-names.js';
import { assertProjectName } from '../core/project.js';
import { printableProjectTemplate } from '../../infra/stack/project-template-print.js';
import { platformTemplate, type PlatformTemplateInput } from '../../infra/stack/platform-template.js';
import { bundlePlatformHandlers, deployPlatformStack } from '../adapters/aws/aws-platform-stacks.js';
import { CloudFormationStacks } from '../adapters/aws/cloudformation-stacks.js';
import { S3HandlerUploader } from '../adapters/aws/handler-uploader.js';
import { callerIdentity } from '../adapters/aws/sts-identity.js';
import { parseRegion } from './flags.js';

/** `anchor init --aws`: credentials first, then handlers to S3, then the platform stack; safe to rerun. */
export default async function initAws(ctx: Context, options: Record<string, unknown>): Promise<void> {
  const stage = String(options.stage ?? 'dev');
  assertStage(stage);
  const region = parseRegion(options.region);
  if (options.printTemplate) return options.project === undefined ? printTemplate(ctx, stage) : printProjectTemplate(ctx, stage, String(options.project));

  const name = ctx.platformName ?? (stage === 'dev' ? 'aws' : `aws-${stage}`);
  PlatformStore.assertName(name);
  const existing = ctx.store.get(name);
  if (existing && (existing.backend !== 'aws' || existing.region !== region || existing.stage !== stage)) {
    const where = existing.backend === 'aws' ? `AWS ${existing.region}, stage ${existing.stage}` : 'this machine';
    throw new AnchorError({ code: 'PLATFORM_EXISTS', kind: 'conflict', message: `Platform "${name}" already exists and runs on ${where}.`, hint: 'Pick another name with --platform <name>, or remove that one with "anchor destroy --platform <name>".' });
  }

  const clients = ctx.aws(region);
  const identity = await callerIdentity(await clients.sts());
  ctx.ui.info(`AWS account ${identity.account} (${identity.arn}), region ${region}, stage ${stage}`);
  const stacks = new CloudFormationStacks({ cloudFormation: await clients.cloudFormation(), pollMs: ctx.env.awsPollMs });
  const uploader = new S3HandlerUploader({ s3: await clients.s3(), account: identity.account, region });
  const result = await deployPlatformStack({ stacks, uploader, bundle: () => bundlePlatformHandlers(ctx.env.handlerBundles) }, { stage, progress: stackProgress(ctx.ui) });

  const now = new Date().toISOString();
  const config: AwsPlatformConfig = {
    name,
    backend: 'aws',
    dir: ctx.store.platformDir(name),
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
    region,
    stage,
    account: identity.account,
    outputs: result.outputs,
    bootstrapBucket: uploader.bucket,
    projects: existing?.backend === 'aws' ? existing.projects : {},
  };
  ctx.store.save(config);
  const isDefault = ctx.store.defaultName() === null || ctx.store.get(ctx.store.defaultName() ?? '') === null;
  if (isDefault) ctx.store.setDefault(name);

  const { colors } = ctx.ui;
  ctx.ui.result(
    { platform: name, backend: 'aws', region, stage, account: identity.account, stack: result.stackName, action: result.action, outputs: result.outputs, handlers: { bucket: result.upload.bucket, uploaded: result.upload.uploaded, unchanged: result.upload.unchanged }, default: ctx.store.defaultName() === name },
    () => [
      result.action === 'none'
        ? `${colors.green('✔')} No changes: platform "${name}" (stack ${result.stackName} in ${region}) is up to date.`
        : `${colors.green('✔')} ${result.action === 'create' ? 'Created' : 'Updated'} platform "${name}": stack ${result.stackName} in ${region} (account ${identity.account}).`,
      `  Webhooks: ${result.outputs.WebhookApiUrl ?? '?'}/webhook/<projectId>`,
      ...(isDefault ? ['  It is now the default platform.'] : [`  Use it with --platform ${name} or ANCHOR_PLATFORM=${name}.`]),
      '',
      'Next:',
      '  anchor projects add <name> --repo <owner/name>',
    ],
  );
}

/** The platform template as JSON on stdout: no credentials, no AWS call; the bundles are built locally for their keys. */
async function printTemplate(ctx: Context, stage: string): Promise<void> {
  const bundles = await bundlePlatformHandlers(ctx.env.handlerBundles);
  try {
    const handlerKeys = Object.fromEntries(bundles.zips.map((zip) => [zip.name, `handlers/${zip.sha256}/${zip.name}.zip`])) as PlatformTemplateInput['handlerKeys'];
    const template = platformTemplate({ stage, handlerBucket: sub('anchor-bootstrap-${AWS::AccountId}-${AWS::Region}'), handlerKeys });
    ctx.io.stdout.write(`${JSON.stringify(template, null, 2)}\n`);
  } finally {
    await bundles.cleanup();
  }
}

/** A project's stack template as `projects add` deploys it, the platform's buckets as parameters: no credentials, no AWS call. */
function printProjectTemplate(ctx: Context, stage: string, project: string): void {
  assertProjectName(project);
  assertProjectFitsAws(stage, project);
  ctx.io.stdout.write(`${JSON.stringify(printableProjectTemplate(stage, project), null, 2)}\n`);
}
