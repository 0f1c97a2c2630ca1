import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import type { CloudFrontKeyValueStoreClient } from '@aws-sdk/client-cloudfront-keyvaluestore';
import type { CodeBuildClient } from '@aws-sdk/client-codebuild';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { PutBucketPolicyCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { STSClient } from '@aws-sdk/client-sts';
import { join } from 'node:path';
import { AnchorError, errorMessage } from '../../../core/errors.js';
import { assertProjectName } from '../../../core/project.js';
import { sub } from '../../../../infra/stack/cfn.js';
import { assetReadersOf, assetsBucketStatements } from '../../../../infra/stack/assets-policy.js';
import { platformTemplate, type PlatformTemplateInput } from '../../../../infra/stack/platform-template.js';
import { printableProjectTemplate } from '../../../../infra/stack/project-template-print.js';
import { assertProjectFitsAws, assertStage, projectStackName } from '../resource-names.js';
import { bundlePlatformHandlers, deployPlatformStack, deployProjectStack, destroyPlatformStacks, type PlatformDeployment, type PlatformRemoval, type Progress } from './aws-platform-stacks.js';
import { CloudFormationStacks } from './cloudformation-stacks.js';
import { S3HandlerUploader } from './handler-uploader.js';
import { readDashboardBuild, S3DashboardUploader, type DashboardUpload } from './dashboard-uploader.js';
import { dashboardDir } from '../../../lib/dashboard-dir.js';
import { liveVersionParameters } from './lambda-live-versions.js';
import { S3BucketRemover } from './s3-bucket-remover.js';
import { removeProjectData, type ProjectDataBuckets, type RemovedProjectData } from './project-data-remover.js';
import { currentDistributionDomains } from '../cloudfront-domain-routing.js';
import { ensureOriginSecret, originSecretParameter, projectOriginSecret } from '../origin-secret.js';
import { callerIdentity, type AwsIdentity } from './sts-identity.js';
import type { DoctorCheck } from '../../../core/doctor-check.js';
import { readPlatform, type PlatformToRead } from './doctor/aws-account-reads.js';
import { awsDoctorChecks } from './doctor/aws-doctor-checks.js';

/** The SDK clients provisioning uses, made on first use (the CLI's AwsClients). */
export interface ProvisioningClients {
  sts(): Promise<STSClient>;
  cloudFormation(): Promise<CloudFormationClient>;
  s3(): Promise<S3Client>;
  lambda(): Promise<LambdaClient>;
  cloudFront(): Promise<CloudFrontClient>;
  ssm(): Promise<SSMClient>;
  keyValueStore(): Promise<CloudFrontKeyValueStoreClient>;
  iam(): Promise<IAMClient>;
  codeBuild(): Promise<CodeBuildClient>;
}

/** A platform the CLI saved, as far as provisioning needs it. */
export interface ProvisionedPlatform {
  name: string;
  account: string;
  stage: string;
}

/**
 * What the CLI provisions on AWS (stacks, handler upload, bucket removal, the account check), the
 * one place that builds the provisioning adapters: commands get it from `ctx.provisioning(region)`
 * and never call `new` on an adapter. Nothing here asks AWS anything until a method needs it, so
 * the checks and the printed templates work without credentials.
 */
export class AwsProvisioning {
  private caller: Promise<AwsIdentity> | null = null;

  constructor(
    private readonly clients: ProvisioningClients,
    readonly region: string,
    private readonly options: { pollMs?: number; handlerBundles?: string },
  ) {}

  assertStage(stage: string): void {
    assertStage(stage);
  }

  assertProject(stage: string, project: string): void {
    assertProjectName(project);
    assertProjectFitsAws(stage, project);
  }

  /** Who these credentials are; with `platform`, refuses credentials of another account than the platform's. */
  async identity(platform?: ProvisionedPlatform & { retryCommand: string }): Promise<AwsIdentity> {
    this.caller ??= this.clients.sts().then(callerIdentity);
    this.caller.catch(() => {
      this.caller = null;
    });
    const identity = await this.caller;
    if (platform && identity.account !== platform.account) {
      throw new AnchorError({
        code: 'AWS_WRONG_ACCOUNT',
        kind: 'auth',
        message: `These credentials are for account ${identity.account}; platform "${platform.name}" is in ${platform.account}.`,
        hint: `Switch AWS_PROFILE to the platform’s account and run "${platform.retryCommand}" again.`,
      });
    }
    return identity;
  }

  /** `projects`: the saved projects' stack outputs, so an update keeps each distribution's read grant on its assets. */
  async deployPlatform(input: { stage: string; progress: Progress; projects?: Record<string, Record<string, string>> }): Promise<PlatformDeployment & { bootstrapBucket: string; account: string }> {
    const identity = await this.identity();
    const uploader = await this.uploader(identity.account);
    // The stage's origin secret (CloudFront → Function URLs), made once; never replaced here.
    input.progress.step(`Checking the origin secret ${originSecretParameter(input.stage)}`);
    await ensureOriginSecret(await this.clients.ssm(), input.stage);
    const s3 = await this.clients.s3();
    const dashboard = async (): Promise<DashboardUpload | null> => {
      const build = await readDashboardBuild(this.dashboardDir());
      if (!build) {
        input.progress.step('The dashboard is not built here (no dist/dashboard/): the platform will say so on its page; run "npm run build", then "anchor init --aws" again');
        return null;
      }
      input.progress.step(`Uploading the dashboard to s3://${uploader.bucket}/${build.prefix}`);
      return new S3DashboardUploader({ s3, bucket: uploader.bucket }).upload(build);
    };
    const result = await deployPlatformStack({ stacks: await this.stacks(), uploader, bundle: () => bundlePlatformHandlers(this.options.handlerBundles), dashboard }, { stage: input.stage, progress: input.progress, template: { assetReaders: assetReadersOf(input.projects ?? {}) } });
    return { ...result, bootstrapBucket: uploader.bucket, account: identity.account };
  }

  async deployProject(input: { stage: string; project: string; platformOutputs: Record<string, string>; progress: Progress; distributionId: string | null }): Promise<{ stackName: string; action: 'create' | 'update' | 'none'; outputs: Record<string, string> }> {
    this.assertProject(input.stage, input.project);
    const identity = await this.identity();
    const lambda = await this.clients.lambda();
    const liveVersions = () => liveVersionParameters(lambda, input.stage, input.project);
    const ssm = await this.clients.ssm();
    const originSecret = async () => projectOriginSecret(await ensureOriginSecret(ssm, input.stage), input.project);
    const stacks = await this.stacks();
    // An update writes back the custom domains the platform set on the distribution (infra/stack/project-domains.ts).
    const distribution = input.distributionId ?? (await stacks.describe(projectStackName(input.stage, input.project)))?.outputs.DistributionId;
    const domains = distribution ? await currentDistributionDomains(await this.clients.cloudFront(), distribution) : { aliases: [], certificateArn: null };
    return deployProjectStack({ stacks, uploader: await this.uploader(identity.account), liveVersions, originSecret }, { ...input, domains });
  }

  /**
   * The project's stack, then what it left outside the stack: its objects in the platform's
   * buckets (artifacts, assets, ISR cache) and its SSM parameters (project-data-remover.ts).
   */
  async deleteProject(platform: ProvisionedPlatform, project: string, progress: Progress, buckets: ProjectDataBuckets): Promise<{ stack: string; deleted: boolean; data: RemovedProjectData }> {
    const retryCommand = `anchor projects rm ${project}`;
    await this.identity({ ...platform, retryCommand });
    const stack = projectStackName(platform.stage, project);
    progress.step(`Deleting stack ${stack}`);
    const deleted = await (await this.stacks()).delete(stack, { onEvent: progress.event, retryCommand });
    progress.step(`Deleting ${project}'s objects in the platform's buckets and its SSM parameters`);
    const data = await removeProjectData({ s3: await this.clients.s3(), ssm: await this.clients.ssm() }, { stage: platform.stage, project, buckets });
    return { stack, deleted, data };
  }

  /**
   * The assets bucket's policy as the platform template writes it (assets-policy.ts), written now:
   * `projects add` grants the new distribution its prefix, `projects rm` takes the grant away.
   */
  async writeAssetsPolicy(platform: ProvisionedPlatform & { outputs: Record<string, string>; projects: Record<string, Record<string, string>> }): Promise<void> {
    const readers = assetReadersOf(platform.projects);
    const bucket = platform.outputs['AssetsBucketName'];
    if (!bucket) return;
    const names = { bucketArn: `arn:aws:s3:::${bucket}`, objectsArn: (prefix: string) => `arn:aws:s3:::${bucket}/${prefix}*`, distributionArn: (id: string) => `arn:aws:cloudfront::${platform.account}:distribution/${id}` };
    const document = { Version: '2012-10-17', Statement: assetsBucketStatements(readers, names) };
    await (await this.clients.s3()).send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(document) }));
  }

  async destroyPlatform(platform: ProvisionedPlatform, input: { bootstrapBucket: string; force: boolean; progress: Progress }): Promise<PlatformRemoval> {
    await this.identity({ ...platform, retryCommand: 'anchor destroy' });
    return destroyPlatformStacks({ stacks: await this.stacks(), buckets: new S3BucketRemover({ s3: await this.clients.s3() }) }, { stage: platform.stage, ...input });
  }

  /**
   * `anchor doctor` on aws: reads the stacks, roles, functions, KeyValueStore and distribution
   * with read-only calls and checks them against what anchor's templates and deploys set up.
   */
  async doctor(platform: ProvisionedPlatform & PlatformToRead): Promise<DoctorCheck[]> {
    const identity = await this.identity({ ...platform, retryCommand: 'anchor doctor' });
    const c = this.clients;
    const [cloudFormation, lambda, cloudFront, keyValueStore, iam, codeBuild, s3] = await Promise.all([c.cloudFormation(), c.lambda(), c.cloudFront(), c.keyValueStore(), c.iam(), c.codeBuild(), c.s3()]);
    const { projects, check: listed } = await this.projectsInAccount(platform);
    const read = await readPlatform({ cloudFormation, lambda, cloudFront, keyValueStore, iam, codeBuild, s3 }, { ...platform, projects });
    const account: DoctorCheck = { id: 'account', status: 'ok', message: `Credentials ${identity.arn} are for account ${identity.account}, the platform's, in ${this.region}.` };
    return [account, listed, ...awsDoctorChecks(read, { stage: platform.stage, artifactsBucket: platform.outputs['ArtifactsBucketName'] ?? '' })];
  }

  /** The projects this machine saved, and any other project stack of the stage in the account (added from another machine). */
  private async projectsInAccount(platform: ProvisionedPlatform & PlatformToRead): Promise<{ projects: Record<string, Record<string, string>>; check: DoctorCheck }> {
    const projects = { ...platform.projects };
    const prefix = projectStackName(platform.stage, '');
    try {
      const stacks = await this.stacks();
      const others = (await stacks.list(prefix)).map((name) => name.slice(prefix.length)).filter((project) => !(project in projects));
      for (const project of others) projects[project] = (await stacks.describe(projectStackName(platform.stage, project)))?.outputs ?? {};
      const names = Object.keys(projects);
      const message = names.length === 0 ? 'No project stacks in this stage.' : `Project stacks: ${names.join(', ')}${others.length ? ` (${others.join(', ')} not saved on this machine)` : ''}.`;
      return { projects, check: { id: 'projects', status: 'ok', message } };
    } catch (error) {
      return { projects, check: { id: 'projects', status: 'warn', message: `Could not list the stage's project stacks (${errorMessage(error)}); checking the ${Object.keys(projects).length} saved on this machine.`, hint: 'Let these credentials cloudformation:ListStacks to check every project.' } };
    }
  }

  /** The platform template as `init --aws` deploys it; the bundles are built locally for their keys. No AWS call. */
  async platformTemplate(stage: string): Promise<string> {
    const bundles = await bundlePlatformHandlers(this.options.handlerBundles);
    try {
      const handlerKeys = Object.fromEntries(bundles.zips.map((zip) => [zip.name, `handlers/${zip.sha256}/${zip.name}.zip`])) as PlatformTemplateInput['handlerKeys'];
      const dashboard = await readDashboardBuild(this.dashboardDir());
      return JSON.stringify(platformTemplate({ stage, handlerBucket: sub('anchor-bootstrap-${AWS::AccountId}-${AWS::Region}'), handlerKeys, ...(dashboard ? { dashboardPrefix: dashboard.prefix } : {}) }), null, 2);
    } finally {
      await bundles.cleanup();
    }
  }

  /** A project's stack template as `projects add` deploys it, the platform's buckets as parameters. No AWS call. */
  projectTemplate(stage: string, project: string): string {
    this.assertProject(stage, project);
    return JSON.stringify(printableProjectTemplate(stage, project), null, 2);
  }

  /** The built dashboard: beside prebuilt handler zips (`<dir>/dashboard/`, a packaged CLI, CI, tests) when given, else dist/dashboard/. */
  private dashboardDir(): string {
    return this.options.handlerBundles ? join(this.options.handlerBundles, 'dashboard') : dashboardDir();
  }

  private async stacks(): Promise<CloudFormationStacks> {
    return new CloudFormationStacks({ cloudFormation: await this.clients.cloudFormation(), pollMs: this.options.pollMs });
  }

  private async uploader(account: string): Promise<S3HandlerUploader> {
    return new S3HandlerUploader({ s3: await this.clients.s3(), account, region: this.region });
  }
}
