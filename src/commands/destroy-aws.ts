import { rmSync } from 'node:fs';
import { AnchorError } from '../core/errors.js';
import type { Context } from '../cli/context.js';
import type { AwsPlatformConfig } from '../cli/platforms.js';
import { stackProgress } from '../cli/stack-progress.js';

/** `anchor destroy` on aws: project stacks, then the platform stack; retained buckets only with --force. */
export async function destroyAws(ctx: Context, config: AwsPlatformConfig, force: boolean): Promise<void> {
  const what = force ? 'every project stack, the platform stack and its buckets with all builds, assets and cache' : 'every project stack and the platform stack (buckets that hold data are kept; --force deletes them too)';
  if (!ctx.flags.yes && !(await ctx.prompter.confirm(`Delete AWS platform "${config.name}" (stage ${config.stage}, ${config.region}, account ${config.account}): ${what}?`, '--yes to confirm'))) {
    throw new AnchorError({ code: 'CANCELLED', kind: 'usage', message: `Platform "${config.name}" was not deleted.` });
  }
  const provisioning = await ctx.provisioning(config.region);
  const removal = await provisioning.destroyPlatform(config, { bootstrapBucket: config.bootstrapBucket, force, progress: stackProgress(ctx.ui) });

  rmSync(config.dir, { recursive: true, force: true });
  if (ctx.store.defaultName() === config.name) ctx.store.clearDefault();
  const { colors } = ctx.ui;
  ctx.ui.result({ destroyed: config.name, backend: 'aws', stacks: removal.deletedStacks, deletedBuckets: removal.deletedBuckets, kept: removal.keptBuckets }, () => [
    `${colors.green('✔')} Deleted platform "${config.name}": ${removal.deletedStacks.length ? removal.deletedStacks.join(', ') : 'no stacks were left'}.`,
    ...removal.deletedBuckets.map((b) => `  Deleted bucket ${b}.`),
    ...(removal.keptBuckets.length
      ? [`${colors.yellow('!')} Kept ${removal.keptBuckets.length} bucket${removal.keptBuckets.length === 1 ? '' : 's'} (S3 storage is still billed):`, ...removal.keptBuckets.map((b) => `    ${b.bucket}  ${colors.dim(b.why)}`), '  To delete one with everything in it: aws s3 rb s3://<bucket> --force (next time, "anchor destroy --force" does it).']
      : []),
  ]);
}
