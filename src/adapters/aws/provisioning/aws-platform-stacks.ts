import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HANDLER_NAMES, platformStackName, projectStackName } from '../resource-names.js';
import { platformTemplate, type PlatformTemplateInput } from '../../../../infra/stack/platform-template.js';
import { projectTemplate } from '../../../../infra/stack/project-template.js';
import { domainParameterValues } from '../../../../infra/stack/project-domains.js';
import type { CloudFormationStacks, StackEvent } from './cloudformation-stacks.js';
import type { HandlerZip, S3HandlerUploader, UploadReport } from './handler-uploader.js';
import type { DashboardUpload } from './dashboard-uploader.js';
import type { S3BucketRemover } from './s3-bucket-remover.js';

/** CreateChangeSet takes at most this much TemplateBody; a larger template goes through the bootstrap bucket. */
const TEMPLATE_BODY_LIMIT = 51_200;
/** Buckets the platform stack retains on deletion (DeletionPolicy Retain), by output name. */
const RETAINED_BUCKETS = ['ArtifactsBucketName', 'AssetsBucketName', 'CacheBucketName'] as const;

export type Progress = { step(text: string): void; event(event: StackEvent): void };

/**
 * Bundles the platform's Lambda handlers (esbuild, loaded only here) into a scratch dir, or takes
 * prebuilt `<name>.zip` files from `prebuiltDir` (a packaged CLI, CI, tests).
 */
export async function bundlePlatformHandlers(prebuiltDir?: string): Promise<{ zips: HandlerZip[]; cleanup(): Promise<void> }> {
  if (prebuiltDir) {
    const zips = await Promise.all(
      HANDLER_NAMES.map(async (name) => {
        const zipPath = join(prebuiltDir, `${name}.zip`);
        const bytes = await readFile(zipPath);
        return { name, zipPath, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
      }),
    );
    return { zips, cleanup: async () => {} };
  }
  const dir = await mkdtemp(join(tmpdir(), 'anchor-handlers-'));
  const { bundleHandlers } = await import('../../../../infra/bundle-handlers.js');
  return { zips: await bundleHandlers(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface PlatformDeployment {
  stackName: string;
  action: 'create' | 'update' | 'none';
  outputs: Record<string, string>;
  upload: UploadReport;
  /** The dashboard build the API function serves; null when none was built here. */
  dashboard: DashboardUpload | null;
}

/** `anchor init --aws`: handler zips to the bootstrap bucket, then the platform stack by change set. */
export async function deployPlatformStack(
  deps: { stacks: CloudFormationStacks; uploader: S3HandlerUploader; bundle: () => ReturnType<typeof bundlePlatformHandlers>; dashboard?: () => Promise<DashboardUpload | null> },
  input: { stage: string; progress: Progress; template?: Omit<PlatformTemplateInput, 'stage' | 'handlerBucket' | 'handlerKeys' | 'dashboardPrefix'> },
): Promise<PlatformDeployment> {
  input.progress.step('Bundling the platform handlers');
  const bundles = await deps.bundle();
  let upload: UploadReport;
  try {
    input.progress.step(`Uploading them to s3://${deps.uploader.bucket}`);
    upload = await deps.uploader.upload(bundles.zips);
  } finally {
    await bundles.cleanup();
  }
  // Before the stack: the API function the stack updates serves the build its environment names.
  const dashboard = (await deps.dashboard?.()) ?? null;
  const template = platformTemplate({ ...input.template, stage: input.stage, handlerBucket: upload.bucket, handlerKeys: upload.keys as PlatformTemplateInput['handlerKeys'], ...(dashboard ? { dashboardPrefix: dashboard.prefix } : {}) });
  const stackName = platformStackName(input.stage);
  input.progress.step(`Deploying stack ${stackName}`);
  const result = await deps.stacks.deploy({
    stackName,
    ...(await templateSource(deps.uploader, stackName, JSON.stringify(template))),
    tags: { 'anchor:stage': input.stage, 'anchor:stack': 'platform' },
    onEvent: input.progress.event,
  });
  return { stackName, action: result.action, outputs: result.outputs, upload, dashboard };
}

/** `anchor projects add` on aws: the project's functions, CloudFront and asset pointer. */
export async function deployProjectStack(
  deps: {
    stacks: CloudFormationStacks;
    uploader: S3HandlerUploader;
    liveVersions: () => Promise<Record<string, string>>;
    /** The project's origin header value (origin-secret.ts), for the distribution's origins. */
    originSecret: () => Promise<string>;
  },
  input: {
    stage: string;
    project: string;
    platformOutputs: Record<string, string>;
    progress: Progress;
    /** The distribution's aliases and certificate as the domains check left them (none for a new stack): an update writes them back. */
    domains: { aliases: readonly string[]; certificateArn: string | null };
  },
): Promise<{ stackName: string; action: 'create' | 'update' | 'none'; outputs: Record<string, string> }> {
  const template = projectTemplate({
    stage: input.stage,
    project: input.project,
    platform: { artifactsBucket: input.platformOutputs.ArtifactsBucketName ?? '', assetsBucket: input.platformOutputs.AssetsBucketName ?? '', cacheBucket: input.platformOutputs.CacheBucketName ?? '' },
  });
  const stackName = projectStackName(input.stage, input.project);
  input.progress.step(`Deploying stack ${stackName}`);
  const result = await deps.stacks.deploy({
    stackName,
    ...(await templateSource(deps.uploader, stackName, JSON.stringify(template))),
    // Deploys move the live alias outside CloudFormation; an update passes the version it points
    // at now (read just before), and keeps the stack's own value only where there is no alias.
    // The custom domains the platform set on the distribution are written back the same way.
    parameters: { ...(await deps.liveVersions()), ...domainParameterValues(input.domains), OriginSecret: await deps.originSecret() },
    keepParameters: ['ServerLiveVersion', 'ImageLiveVersion'],
    tags: { 'anchor:stage': input.stage, 'anchor:stack': 'project', 'anchor:project': input.project },
    onEvent: input.progress.event,
  });
  return { stackName, action: result.action, outputs: result.outputs };
}

export interface KeptBucket {
  bucket: string;
  objects: number;
  why: string;
}

export interface PlatformRemoval {
  deletedStacks: string[];
  deletedBuckets: string[];
  keptBuckets: KeptBucket[];
}

/**
 * `anchor destroy` on aws: project stacks first (they use the platform's buckets and roles), then
 * the platform stack. The buckets it retains are deleted when empty or with `force`; any other is
 * kept and reported, since it holds builds, assets or the ISR cache.
 */
export async function destroyPlatformStacks(
  deps: { stacks: CloudFormationStacks; buckets: S3BucketRemover },
  input: { stage: string; bootstrapBucket: string; force: boolean; progress: Progress },
): Promise<PlatformRemoval> {
  const platform = platformStackName(input.stage);
  const outputs = (await deps.stacks.describe(platform))?.outputs ?? {};
  const removal: PlatformRemoval = { deletedStacks: [], deletedBuckets: [], keptBuckets: [] };
  for (const stack of await deps.stacks.list(projectStackName(input.stage, ''))) {
    input.progress.step(`Deleting stack ${stack}`);
    if (await deps.stacks.delete(stack, { onEvent: input.progress.event })) removal.deletedStacks.push(stack);
  }
  input.progress.step(`Deleting stack ${platform}`);
  if (await deps.stacks.delete(platform, { onEvent: input.progress.event })) removal.deletedStacks.push(platform);

  for (const key of RETAINED_BUCKETS) {
    const bucket = outputs[key];
    if (!bucket) continue;
    const objects = await deps.buckets.count(bucket);
    if (objects === null) continue;
    if (input.force || objects === 0) {
      input.progress.step(`Deleting bucket ${bucket}${objects ? ' and everything in it' : ''}`);
      await deps.buckets.remove(bucket);
      removal.deletedBuckets.push(bucket);
    } else {
      removal.keptBuckets.push({ bucket, objects, why: `holds ${objects >= 1000 ? '1000+' : objects} object${objects === 1 ? '' : 's'}` });
    }
  }
  // The bootstrap bucket serves every stage in this account and region: it goes only with --force, and only with the last platform.
  const others = (await deps.stacks.list('anchor-')).filter((name) => name !== platform);
  const bootstrapObjects = await deps.buckets.count(input.bootstrapBucket);
  if (bootstrapObjects !== null) {
    if (input.force && others.length === 0) {
      input.progress.step(`Deleting bucket ${input.bootstrapBucket}`);
      await deps.buckets.remove(input.bootstrapBucket);
      removal.deletedBuckets.push(input.bootstrapBucket);
    } else {
      removal.keptBuckets.push({ bucket: input.bootstrapBucket, objects: bootstrapObjects, why: others.length > 0 ? `handler code and dashboard builds of other anchor stacks (${others.join(', ')})` : 'handler code and dashboard builds for "anchor init --aws"' });
    }
  }
  return removal;
}

async function templateSource(uploader: S3HandlerUploader, stackName: string, body: string): Promise<{ templateBody: string } | { templateUrl: string }> {
  if (Buffer.byteLength(body) <= TEMPLATE_BODY_LIMIT) return { templateBody: body };
  return { templateUrl: await uploader.uploadTemplate(stackName, body, createHash('sha256').update(body).digest('hex')) };
}
