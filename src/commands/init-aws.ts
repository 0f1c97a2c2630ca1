import { AnchorError } from '../core/errors.js';
import type { Context } from '../cli/context.js';
import { PlatformStore, type AwsPlatformConfig } from '../cli/platforms.js';
import { stackProgress } from '../cli/stack-progress.js';
import { parseRegion } from './flags.js';

/** `anchor init --aws`: credentials first, then handlers to S3, then the platform stack; safe to rerun. */
export default async function initAws(ctx: Context, options: Record<string, unknown>): Promise<void> {
  const stage = String(options.stage ?? 'dev');
  const region = parseRegion(options.region);
  const provisioning = await ctx.provisioning(region);
  provisioning.assertStage(stage);
  if (options.printTemplate) {
    // No credentials, no AWS call: the template as it would be deployed.
    const template = options.project === undefined ? await provisioning.platformTemplate(stage) : provisioning.projectTemplate(stage, String(options.project));
    ctx.io.stdout.write(`${template}\n`);
    return;
  }

  const name = ctx.platformName ?? (stage === 'dev' ? 'aws' : `aws-${stage}`);
  PlatformStore.assertName(name);
  const existing = ctx.store.get(name);
  if (existing && (existing.backend !== 'aws' || existing.region !== region || existing.stage !== stage)) {
    const where = existing.backend === 'aws' ? `AWS ${existing.region}, stage ${existing.stage}` : 'this machine';
    throw new AnchorError({ code: 'PLATFORM_EXISTS', kind: 'conflict', message: `Platform "${name}" already exists and runs on ${where}.`, hint: 'Pick another name with --platform <name>, or remove that one with "anchor destroy --platform <name>".' });
  }

  const identity = await provisioning.identity();
  ctx.ui.info(`AWS account ${identity.account} (${identity.arn}), region ${region}, stage ${stage}`);
  // Each project's distribution keeps its read grant on its own assets prefix.
  const result = await provisioning.deployPlatform({ stage, progress: stackProgress(ctx.ui), projects: existing?.backend === 'aws' ? existing.projects : {} });

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
    bootstrapBucket: result.bootstrapBucket,
    projects: existing?.backend === 'aws' ? existing.projects : {},
  };
  ctx.store.save(config);
  const isDefault = ctx.store.defaultName() === null || ctx.store.get(ctx.store.defaultName() ?? '') === null;
  if (isDefault) ctx.store.setDefault(name);

  const { colors } = ctx.ui;
  ctx.ui.result(
    { platform: name, backend: 'aws', region, stage, account: identity.account, stack: result.stackName, action: result.action, outputs: result.outputs, handlers: { bucket: result.upload.bucket, uploaded: result.upload.uploaded, unchanged: result.upload.unchanged }, dashboard: result.dashboard, default: ctx.store.defaultName() === name },
    () => [
      result.action === 'none'
        ? `${colors.green('✔')} No changes: platform "${name}" (stack ${result.stackName} in ${region}) is up to date.`
        : `${colors.green('✔')} ${result.action === 'create' ? 'Created' : 'Updated'} platform "${name}": stack ${result.stackName} in ${region} (account ${identity.account}).`,
      `  Webhooks: ${result.outputs.WebhookApiUrl ?? '?'}/webhook/<projectId>`,
      result.dashboard ? `  Dashboard: ${result.outputs.WebhookApiUrl ?? '?'}/ (a sign-in link: anchor dashboard${isDefault ? '' : ` --platform ${name}`})` : '  Dashboard: not built here, so not uploaded (npm run build, then anchor init --aws again).',
      ...(isDefault ? ['  It is now the default platform.'] : [`  Use it with --platform ${name} or ANCHOR_PLATFORM=${name}.`]),
      '',
      'Next:',
      '  anchor projects add <name> --repo <owner/name>',
    ],
  );
}
